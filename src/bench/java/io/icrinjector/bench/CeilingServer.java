package io.icrinjector.bench;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The ceiling of the benchmark: a bare Vert.x HTTP server (the Vert.x that Quarkus ships) that reads the whole body
 * and answers a fixed AdmissionReview: for each benchmark review, the very bytes the webhook answered to it. It
 * does no JSON work at all, so it shows what the HTTP stack alone costs on this machine.
 *
 * <p>Arguments: port, event-loop count (the webhook's I/O threads), then {@code request-file=answer-file} pairs.
 * The answer is picked by the request's length, which differs between the three reviews.
 */
public final class CeilingServer {

  private CeilingServer() {}

  /** Entry point, run in a JVM of its own with the webhook's JVM options. */
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int eventLoops = Integer.parseInt(args[1]);
    Map<Integer, Buffer> answers = new HashMap<>();
    for (int i = 2; i < args.length; i++) {
      String[] pair = args[i].split("=", 2);
      answers.put(
          (int) Files.size(Path.of(pair[0])), Buffer.buffer(Files.readAllBytes(Path.of(pair[1]))));
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
    // One server verticle per event loop, as Quarkus does with its I/O threads; they share the
    // port.
    vertx
        .deployVerticle(
            () ->
                new AbstractVerticle() {
                  @Override
                  public void start(Promise<Void> started) {
                    vertx
                        .createHttpServer()
                        .requestHandler(
                            req ->
                                req.body()
                                    .onSuccess(
                                        body -> {
                                          Buffer answer = answers.get(body.length());
                                          if (answer == null) {
                                            req.response().setStatusCode(400).end("unknown review");
                                          } else {
                                            req.response()
                                                .putHeader("content-type", "application/json")
                                                .end(answer);
                                          }
                                        }))
                        .listen(port, "127.0.0.1")
                        .<Void>mapEmpty()
                        .onComplete(started);
                  }
                },
            new DeploymentOptions().setInstances(eventLoops))
        .toCompletionStage()
        .toCompletableFuture()
        .get();
    System.out.println("ceiling listening on 127.0.0.1:" + port);
  }
}
