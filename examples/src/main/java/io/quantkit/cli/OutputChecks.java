package io.quantkit.cli;

import io.quantkit.QuantkitException;
import io.quantkit.internal.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a command's output files before it does any work: none may be one of its inputs (the
 * same file, also through a symbolic or hard link) or another output, and each must be writable
 * (its folder exists or can be created, is writable, has space). Failing after a long
 * calibration, or overwriting the model being read, is what this prevents.
 */
final class OutputChecks {
  private final Map<String, Path> inputs = new LinkedHashMap<>();
  private final Map<String, Path> outputs = new LinkedHashMap<>();

  /** {@code flag} names the path in messages, e.g. "--model"; null paths are skipped. */
  OutputChecks input(String flag, Path path) {
    if (path != null) {
      inputs.put(flag, path);
    }
    return this;
  }

  OutputChecks output(String flag, Path path) {
    if (path != null) {
      outputs.put(flag, path);
    }
    return this;
  }

  void check() {
    List<Map.Entry<String, Path>> seen = new ArrayList<>();
    for (Map.Entry<String, Path> out : outputs.entrySet()) {
      for (Map.Entry<String, Path> in : inputs.entrySet()) {
        if (same(out.getValue(), in.getValue())) {
          throw new QuantkitException(out.getKey() + " " + out.getValue() + " is the input " + in.getKey() + " "
              + in.getValue() + (out.getValue().equals(in.getValue()) ? "" : " (the same file through a link)")
              + "; writing it would destroy the input: choose another file");
        }
      }
      for (Map.Entry<String, Path> earlier : seen) {
        if (same(out.getValue(), earlier.getValue())) {
          throw new QuantkitException(out.getKey() + " and " + earlier.getKey() + " are the same file " + out.getValue()
              + "; give each output its own file");
        }
      }
      seen.add(out);
      try {
        AtomicFiles.checkWritable(out.getValue());
      } catch (IOException e) {
        throw new QuantkitException("cannot write " + out.getKey() + " " + out.getValue() + ": " + AtomicFiles.reason(e), e);
      }
    }
  }

  /** Same file: equal paths, or both exist and are one file (symbolic links followed, hard links compared by inode). */
  private static boolean same(Path a, Path b) {
    if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
      return true;
    }
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }
}
