package io.quantkit.data;

import com.google.common.base.Ascii;
import com.google.common.base.Preconditions;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A file the SDK can download, with the digest that proves it arrived intact.
 *
 * @param uri where to fetch it
 * @param algorithm a {@link MessageDigest} algorithm name, e.g. "MD5" or "SHA-256"
 * @param hexDigest the expected digest, lowercase hex
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public record RemoteFile(URI uri, String algorithm, String hexDigest) {
  public RemoteFile {
    Preconditions.checkNotNull(uri, "uri");
    Preconditions.checkNotNull(hexDigest, "hexDigest");
    newDigest(algorithm);
    hexDigest = Ascii.toLowerCase(hexDigest);
  }

  public static RemoteFile md5(String uri, String hex) {
    return new RemoteFile(URI.create(uri), "MD5", hex);
  }

  public static RemoteFile sha256(String uri, String hex) {
    return new RemoteFile(URI.create(uri), "SHA-256", hex);
  }

  /** A fresh digest of this file's algorithm. */
  public MessageDigest newDigest() {
    return newDigest(algorithm);
  }

  private static MessageDigest newDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalArgumentException("unknown digest algorithm " + algorithm, e);
    }
  }
}
