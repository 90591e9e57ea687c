package io.quantkit.cli;

import io.quantkit.backend.RunnerOptions;
import io.quantkit.playground.PlaygroundServer;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "playground", mixinStandardHelpOptions = true,
    description = {"A local web app: choose a model and quantization settings, run calibrate -> quantize -> evaluate with "
        + "live progress, see per-layer error, download the .qdq.onnx, the plan and the report.",
        "Listens on 127.0.0.1 only unless --host says otherwise; stop it with Ctrl-C."})
final class PlaygroundCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common = new CommonOptions();

  @Option(names = "--port", defaultValue = "7878", description = "Port (0: any free one; default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address to listen on (default ${DEFAULT-VALUE}: this machine only; anything else exposes the playground to the network).")
  String host;

  @Option(names = "--max-upload-mb", defaultValue = "64", description = "Largest model upload in MiB (default ${DEFAULT-VALUE}).")
  int maxUploadMb;

  @Option(names = "--parallel-runs", defaultValue = "1", description = "Runs executed at once; others queue (default ${DEFAULT-VALUE}).")
  int parallelRuns;

  @Override
  public Integer call() throws Exception {
    if (maxUploadMb <= 0) {
      throw new IllegalArgumentException("--max-upload-mb must be positive, not " + maxUploadMb);
    }
    PlaygroundServer server = PlaygroundServer.builder().host(host).port(port).maxUploadBytes((long) maxUploadMb << 20)
        .parallelRuns(parallelRuns).runnerOptions(RunnerOptions.builder().threads(common.threads).build()).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "playground-shutdown"));
    PrintWriter out = spec.commandLine().getOut();
    out.println("quantkit playground: " + server.uri() + " (Ctrl-C to stop)");
    out.flush();
    stopped.await();
    return 0;
  }
}
