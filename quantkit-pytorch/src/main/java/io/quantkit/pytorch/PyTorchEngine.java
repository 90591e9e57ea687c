package io.quantkit.pytorch;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.quantkit.BackendException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The process-wide PyTorch engine (DJL 0.36, PyTorch 2.7.1 CPU). Its native libraries come from
 * the {@code pytorch-native-cpu} and {@code pytorch-jni} jars on the class path, extracted once into
 * DJL's cache folder ({@code DJL_CACHE_DIR} / {@code ENGINE_CACHE_DIR}, default
 * {@code ~/.djl.ai}); {@code ai.djl.offline} is set to true before DJL starts unless the caller
 * set it, so DJL never downloads anything.
 *
 * <p>PyTorch's quantized engine ({@code torch.backends.quantized.engine}) is a process-wide
 * setting that DJL does not expose; {@link #quantizedEngine()} reads it (and
 * {@link #setQuantizedEngine} sets it) through libtorch's exported {@code at::Context} functions.
 * Thread-safe.
 */
public final class PyTorchEngine {
  /** c10::QEngine values, in enum order. */
  private static final String[] QENGINES = {"none", "fbgemm", "qnnpack", "onednn", "x86"};
  /** glibc mallopt parameters (malloc.h). */
  private static final int M_TRIM_THRESHOLD = -1;
  private static final int M_MMAP_THRESHOLD = -3;
  private static Engine engine;
  private static Qengine qengine;

  private PyTorchEngine() {}

  /** Starts the engine on first use. */
  static synchronized Engine get() {
    if (engine == null) {
      if (System.getProperty("ai.djl.offline") == null) {
        System.setProperty("ai.djl.offline", "true");
      }
      boolean quiet = System.getenv("TORCH_CPP_LOG_LEVEL") == null;
      if (!"false".equalsIgnoreCase(System.getProperty("quantkit.pytorch.keepFreedMemory"))) {
        keepFreedMemory();
      }
      if (System.getenv("OMP_WAIT_POLICY") == null) {
        setenv("OMP_WAIT_POLICY", "PASSIVE");
      }
      try {
        engine = Engine.getEngine("PyTorch");
      } catch (RuntimeException | UnsatisfiedLinkError e) {
        throw new BackendException("cannot start DJL's PyTorch engine (natives from pytorch-native-cpu on the class path): "
            + e.getMessage(), e);
      }
      if (quiet) {
        quietNativeLog();
      }
      String wanted = System.getProperty("quantkit.pytorch.qengine");
      if (wanted != null && !wanted.isBlank()) {
        setQuantizedEngine(wanted);
      }
    }
    return engine;
  }

  /**
   * libtorch logs warnings to stderr (for instance "Could not initialize NNPACK! Reason:
   * Unsupported hardware." on CPUs NNPACK does not know, once per thread); a library must not
   * print, so unless the user chose a level with {@code TORCH_CPP_LOG_LEVEL}, c10's log level
   * becomes ERROR: the variable is set for this process and c10::initLogging() reads it, as
   * PyTorch's Python module does when it starts.
   */
  private static void quietNativeLog() {
    Path c10 = loadedLibrary("libc10.so");
    if (c10 == null) {
      return;
    }
    try {
      setenv("TORCH_CPP_LOG_LEVEL", "ERROR");
      NativeLibrary.getInstance(c10.toString()).getFunction("_ZN3c1011initLoggingEv").invokeVoid(new Object[0]);
    } catch (UnsatisfiedLinkError e) {
      // another libc or libtorch build: it keeps its default log level
    }
  }

  /**
   * Sets an environment variable of this process for native libraries that DJL has not loaded
   * yet (Java's own environment map is a snapshot and does not change).
   *
   * <p>OMP_WAIT_POLICY: PyTorch parallelizes each operator with OpenMP (GNU libgomp), whose
   * threads by default spin at the barrier after every operator; libgomp reads the policy once, when
   * it loads. On a machine whose cores other processes also use, a spinning thread waits for a
   * descheduled one at every one of ResNet8's ~40 operators: 5 images/s instead of 705 at batch 1,
   * 103 instead of 2,929 at batch 32 (2 threads, this repository's shared 2-core machine, one
   * {@code bench} session each). PASSIVE makes idle threads sleep. Set OMP_WAIT_POLICY=ACTIVE in
   * the environment to keep spinning on a dedicated machine.
   */
  private static void setenv(String name, String value) {
    try {
      NativeLibrary.getInstance("c").getFunction("setenv").invokeInt(new Object[] {name, value, 0});
    } catch (UnsatisfiedLinkError e) {
      // not glibc: the library keeps its default
    }
  }

  /**
   * libtorch allocates every intermediate tensor with malloc and frees it right after; with
   * glibc's defaults the freed megabytes go back to the kernel and the next batch takes a page
   * fault for every 4 KiB it touches again. On a loaded machine that made a ResNet8 batch of 32
   * eight times slower (191 ms instead of 22 ms, torch 1.13 on this repository's machine). So freed
   * memory stays in the process: glibc's trim threshold is raised to 1 GiB and blocks up to 32 MiB
   * (its maximum) come from the heap instead of fresh mappings. Process-wide, as PyTorch's own
   * CPU performance guide recommends (it suggests jemalloc or tcmalloc for the same reason); turn
   * it off with {@code -Dquantkit.pytorch.keepFreedMemory=false}.
   */
  private static void keepFreedMemory() {
    try {
      Function mallopt = NativeLibrary.getInstance("c").getFunction("mallopt");
      mallopt.invokeInt(new Object[] {M_TRIM_THRESHOLD, 1 << 30});
      mallopt.invokeInt(new Object[] {M_MMAP_THRESHOLD, 32 << 20});
    } catch (UnsatisfiedLinkError e) {
      // not glibc: its allocator keeps its own policy
    }
  }

  /** PyTorch's version, e.g. "2.7.1". */
  public static String version() {
    return get().getVersion();
  }

  /**
   * The quantized engine PyTorch runs quantized operators on ({@code torch.backends.quantized.engine}):
   * "x86" (PyTorch 2.x's default on x86 CPUs: FBGEMM, with oneDNN for some convolutions),
   * "fbgemm", "onednn", "qnnpack" or "none"; empty when libtorch does not export the setting.
   */
  public static synchronized Optional<String> quantizedEngine() {
    get();
    Qengine q = qengine();
    if (q == null) {
      return Optional.empty();
    }
    int v = q.get.invokeInt(new Object[] {q.context}) & 0xff;
    return Optional.of(v < QENGINES.length ? QENGINES[v] : "unknown(" + v + ")");
  }

  /** The quantized engines this libtorch build supports. */
  public static synchronized List<String> supportedQuantizedEngines() {
    get();
    Qengine q = qengine();
    List<String> out = new ArrayList<>();
    if (q == null || q.supported == null) {
      return out;
    }
    Pointer vec = q.supported.invokePointer(new Object[] {q.context});
    Pointer begin = vec.getPointer(0);
    Pointer end = vec.getPointer(com.sun.jna.Native.POINTER_SIZE);
    long n = Pointer.nativeValue(end) - Pointer.nativeValue(begin);
    for (long i = 0; i < n; i++) {
      int v = begin.getByte(i) & 0xff;
      out.add(v < QENGINES.length ? QENGINES[v] : "unknown(" + v + ")");
    }
    return out;
  }

  /**
   * Chooses PyTorch's quantized engine for the whole process ("x86", "fbgemm", "onednn", ...);
   * prepacked weights keep the engine they were packed with, so set it before compiling. Also
   * settable with the system property {@code quantkit.pytorch.qengine}.
   */
  public static synchronized void setQuantizedEngine(String name) {
    get();
    String wanted = name.toLowerCase(Locale.ROOT);
    int code = List.of(QENGINES).indexOf(wanted);
    if (code < 0) {
      throw new BackendException("unknown PyTorch quantized engine '" + name + "'; known: " + List.of(QENGINES));
    }
    List<String> supported = supportedQuantizedEngines();
    if (!supported.contains(wanted)) {
      throw new BackendException("this PyTorch build does not support the quantized engine '" + name + "'; it supports "
          + supported);
    }
    Qengine q = qengine();
    q.set.invokeVoid(new Object[] {q.context, (byte) code});
  }

  /** Sets PyTorch's intra-op thread count (process-wide in PyTorch). */
  static synchronized void setThreads(int threads) {
    get();
    if (threads > 0 && JniUtils.getNumThreads() != threads) {
      JniUtils.setNumThreads(threads);
    }
  }

  /** at::globalContext() and its quantized-engine accessors, resolved once. */
  private record Qengine(Pointer context, Function get, Function set, Function supported) {}

  private static Qengine qengine() {
    if (qengine == null) {
      qengine = resolveQengine();
    }
    return qengine;
  }

  private static Qengine resolveQengine() {
    Path lib = loadedLibrary("libtorch_cpu.so");
    if (lib == null) {
      return null;
    }
    try {
      NativeLibrary torch = NativeLibrary.getInstance(lib.toString());
      Pointer context = torch.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
      Function get = torch.getFunction("_ZNK2at7Context7qEngineEv");
      Function set = torch.getFunction("_ZN2at7Context10setQEngineEN3c107QEngineE");
      Function supported = torch.getFunction("_ZN2at7Context17supportedQEnginesEv");
      return new Qengine(context, get, set, supported);
    } catch (UnsatisfiedLinkError e) {
      return null;
    }
  }

  /** Where the process mapped a native library from (Linux: /proc/self/maps), or null. */
  private static Path loadedLibrary(String fileName) {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return null;
    }
    try {
      for (String line : Files.readAllLines(maps, StandardCharsets.UTF_8)) {
        int slash = line.indexOf('/');
        if (slash >= 0 && line.endsWith("/" + fileName)) {
          return Path.of(line.substring(slash));
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }
}
