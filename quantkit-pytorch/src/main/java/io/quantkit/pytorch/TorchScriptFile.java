package io.quantkit.pytorch;

import io.quantkit.ModelFormatException;
import io.quantkit.backend.Signature;
import io.quantkit.ir.ValueInfo;
import io.quantkit.tensor.DataType;
import io.quantkit.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads what quantkit needs from a TorchScript archive without PyTorch: whether a file is one, and
 * its run contract. Files quantkit wrote carry it in {@code extra/quantkit.json}; for any other
 * TorchScript file the inputs are the parameters of the root module's {@code forward} (read from
 * its code), each declared FLOAT32 with an empty shape because TorchScript records no shapes, and
 * the outputs are named {@code output_0}, {@code output_1}, ... after the values forward returns.
 */
final class TorchScriptFile {
  private static final Pattern FORWARD = Pattern.compile("\\n  def forward\\(self(?:: [\\w.]+)?,?(.*?)\\) -> ([^\\n]+):\\n",
      Pattern.DOTALL);

  private TorchScriptFile() {}

  /** Whether {@code file} is a zip whose records form a TorchScript archive (version, data.pkl, code/). */
  static boolean isTorchScript(Path file) {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try (ZipFile zip = new ZipFile(file.toFile())) {
      String prefix = archivePrefix(zip);
      return prefix != null && zip.getEntry(prefix + "data.pkl") != null
          && (zip.getEntry(prefix + "version") != null || zip.getEntry(prefix + ".data/version") != null)
          && zip.stream().anyMatch(e -> e.getName().startsWith(prefix + "code/"));
    } catch (IOException e) {
      return false;
    }
  }

  /** The run contract of a TorchScript file. */
  static Signature signature(Path file) {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      String prefix = archivePrefix(zip);
      if (prefix == null) {
        throw new ModelFormatException(file + ": not a TorchScript archive (no top-level folder)");
      }
      ZipEntry extra = zip.getEntry(prefix + TorchScriptSerializer.EXTRA_RECORD);
      if (extra != null) {
        return TorchScriptModel.parseSignature(read(zip, extra), file.toString());
      }
      return fromCode(zip, prefix, file);
    } catch (ZipException e) {
      throw new ModelFormatException(file + ": not a TorchScript archive: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static Signature fromCode(ZipFile zip, String prefix, Path file) throws IOException {
    ZipEntry data = zip.getEntry(prefix + "data.pkl");
    if (data == null) {
      throw new ModelFormatException(file + ": not a TorchScript archive (no data.pkl)");
    }
    String[] cls = rootClass(zip.getInputStream(data).readNBytes(4096), file);
    String codePath = prefix + "code/" + cls[0].replace('.', '/') + ".py";
    ZipEntry code = zip.getEntry(codePath);
    if (code == null) {
      throw new ModelFormatException(file + ": no code record " + codePath + " for the root module " + cls[0] + "." + cls[1]);
    }
    String source = read(zip, code);
    int at = source.indexOf("class " + cls[1] + "(");
    if (at < 0) {
      throw new ModelFormatException(file + ": class " + cls[1] + " not found in " + codePath);
    }
    int next = source.indexOf("\nclass ", at + 1);
    String body = source.substring(at, next < 0 ? source.length() : next + 1);
    Matcher m = FORWARD.matcher(body);
    if (!m.find()) {
      throw new ModelFormatException(file + ": the root module " + cls[1] + " has no forward method");
    }
    List<ValueInfo> inputs = new ArrayList<>();
    for (String param : m.group(1).split(",")) {
      String p = param.strip();
      if (p.isEmpty()) {
        continue;
      }
      int colon = p.indexOf(':');
      String name = (colon < 0 ? p : p.substring(0, colon)).strip();
      inputs.add(new ValueInfo(name, DataType.FLOAT32, Shape.scalar()));
    }
    if (inputs.isEmpty()) {
      throw new ModelFormatException(file + ": forward of " + cls[1] + " takes no inputs");
    }
    String ret = m.group(2).strip();
    int outputs = 1;
    if (ret.startsWith("Tuple[")) {
      outputs = ret.substring(6, ret.length() - 1).split(",").length;
    }
    List<String> outs = new ArrayList<>();
    for (int i = 0; i < outputs; i++) {
      outs.add("output_" + i);
    }
    String stem = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
    return Signature.of(stem, inputs, outs);
  }

  /** Module and class of the first GLOBAL in data.pkl: the root module's class. */
  private static String[] rootClass(byte[] pkl, Path file) {
    // protocol 2 header, then GLOBAL ('c') "module\nname\n"
    int i = 0;
    if (pkl.length > 2 && (pkl[0] & 0xff) == 0x80) {
      i = 2;
    }
    if (i >= pkl.length || pkl[i] != 'c') {
      throw new ModelFormatException(file + ": data.pkl does not start with the module's class");
    }
    String rest = new String(pkl, i + 1, Math.min(pkl.length - i - 1, 1024), StandardCharsets.US_ASCII);
    String[] parts = rest.split("\n", 3);
    if (parts.length < 3) {
      throw new ModelFormatException(file + ": data.pkl names no class");
    }
    return new String[] {parts[0], parts[1]};
  }

  /** "name/" of the archive's single top-level folder, or null. */
  private static String archivePrefix(ZipFile zip) {
    Enumeration<? extends ZipEntry> entries = zip.entries();
    if (!entries.hasMoreElements()) {
      return null;
    }
    String first = entries.nextElement().getName();
    int slash = first.indexOf('/');
    return slash <= 0 ? null : first.substring(0, slash + 1);
  }

  private static String read(ZipFile zip, ZipEntry e) throws IOException {
    try (InputStream in = zip.getInputStream(e)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
