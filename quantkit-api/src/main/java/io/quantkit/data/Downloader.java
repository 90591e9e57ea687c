package io.quantkit.data;

import com.google.common.base.Supplier;
import com.google.common.base.Suppliers;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Opens the content behind a URI. {@link QuantkitHome} fetches through one, so tests and
 * air-gapped setups can substitute a local source.
 */
@FunctionalInterface
public interface Downloader {

  /** The content of {@code uri}; the caller closes the stream. */
  InputStream open(URI uri) throws IOException;

  /**
   * Plain HTTP(S) GET following redirects (GitHub's raw links redirect). The HTTP client (about a
   * second of start-up: TLS, selector threads) is built on the first download only, so a cache
   * that already holds every file never pays for it. Thread-safe.
   */
  static Downloader http() {
    Supplier<HttpClient> lazyClient = Suppliers.memoize(() -> HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NORMAL)
        .connectTimeout(Duration.ofSeconds(30))
        .build());
    return uri -> {
      HttpClient client = lazyClient.get();
      HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2)).GET().build();
      HttpResponse<InputStream> response;
      try {
        response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while connecting to " + uri, e);
      }
      if (response.statusCode() != 200) {
        response.body().close();
        throw new IOException("HTTP " + response.statusCode() + " from " + response.uri());
      }
      return response.body();
    };
  }
}
