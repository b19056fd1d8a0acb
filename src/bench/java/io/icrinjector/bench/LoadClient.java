package io.icrinjector.bench;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * The load client: Vert.x HTTP/1.1 with a fixed pool of keep-alive connections on loopback. Every run is bounded
 * both in time and in request count, and the same client and settings drive the webhook and the ceiling.
 */
final class LoadClient {

  /** Result of a closed-loop run. */
  record Throughput(double requestsPerSecond, long requests, long errors, long completedInAll) {}

  /** Result of an open-loop run; latencies in microseconds from each request's intended send time. */
  record Latency(Histogram micros, long requests, long errors, int rate) {}

  private final Vertx vertx;
  private final int eventLoops;

  /** When set, every answer's first warning (or "no warning") is counted here; off for the happy path's runs. */
  private volatile Map<String, LongAdder> answers;

  /** Counts the answers' first warnings from now on, into a map of its own; {@link #stopCounting} ends it. */
  Map<String, LongAdder> countAnswers() {
    Map<String, LongAdder> m = new ConcurrentHashMap<>();
    answers = m;
    return m;
  }

  void stopCounting() {
    answers = null;
  }

  LoadClient(Vertx vertx, int eventLoops) {
    this.vertx = vertx;
    this.eventLoops = eventLoops;
  }

  /**
   * Maximum throughput: {@code connections} users, each with one request in flight at a time, for
   * {@code warmupSeconds} (not counted) then {@code seconds} (counted).
   */
  Throughput throughput(
      int port, String path, byte[] body, int connections, double warmupSeconds, double seconds)
      throws Exception {
    // a safety bound far above any real rate
    return throughput(
        port,
        path,
        i -> body,
        (long) ((warmupSeconds + seconds) * 500_000),
        connections,
        warmupSeconds,
        seconds);
  }

  /** The bodies of a run: request {@code i} (from 0, in send order) gets {@code body(i)}. */
  @FunctionalInterface
  interface Bodies {
    byte[] body(long i);
  }

  /**
   * As {@link #throughput(int, String, byte[], int, double, double)}, request {@code i} sending {@code bodies.body(i)},
   * and at most {@code maxRequests} in all: when they run out before the end, req/s is over the part of the
   * measurement that ran (to the last answer).
   */
  Throughput throughput(
      int port,
      String path,
      Bodies bodies,
      long maxRequests,
      int connections,
      double warmupSeconds,
      double seconds)
      throws Exception {
    long start = System.nanoTime();
    long measureFrom = start + (long) (warmupSeconds * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    AtomicLong lastAnswer = new AtomicLong(start);
    java.util.concurrent.atomic.AtomicBoolean ranOut =
        new java.util.concurrent.atomic.AtomicBoolean();
    AtomicLong counted = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong sent = new AtomicLong();
    AtomicLong completedInAll = new AtomicLong();
    CountDownLatch done = new CountDownLatch(connections);
    int perLoop = connections / eventLoops;
    String deployment =
        vertx
            .deployVerticle(
                () ->
                    new AbstractVerticle() {
                      HttpClient client;

                      @Override
                      public void start() {
                        client =
                            vertx.createHttpClient(
                                options(port), new PoolOptions().setHttp1MaxSize(perLoop));
                        for (int i = 0; i < perLoop; i++) {
                          next();
                        }
                      }

                      private void next() {
                        long i = sent.incrementAndGet() - 1;
                        if (System.nanoTime() >= end || i >= maxRequests) {
                          if (i >= maxRequests) {
                            ranOut.set(true);
                          }
                          done.countDown();
                          return;
                        }
                        post(client, path, bodies.body(i))
                            .onComplete(
                                ar -> {
                                  completedInAll.incrementAndGet();
                                  long now = System.nanoTime();
                                  lastAnswer.accumulateAndGet(now, Math::max);
                                  if (now >= measureFrom && now < end) {
                                    counted.incrementAndGet();
                                    if (ar.failed() || ar.result() != 200) {
                                      errors.incrementAndGet();
                                    }
                                  }
                                  next();
                                });
                      }
                    },
                new DeploymentOptions().setInstances(eventLoops))
            .toCompletionStage()
            .toCompletableFuture()
            .get();
    boolean finished = done.await((long) (warmupSeconds + seconds) + 30, TimeUnit.SECONDS);
    vertx.undeploy(deployment).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (!finished) {
      throw new IllegalStateException("throughput run did not finish in time");
    }
    double measured =
        ranOut.get() ? Math.min(seconds, (lastAnswer.get() - measureFrom) / 1e9) : seconds;
    return new Throughput(
        measured > 0 ? counted.get() / measured : 0,
        counted.get(),
        errors.get(),
        completedInAll.get());
  }

  /**
   * Open loop at a constant rate: request {@code i} is due at {@code start + i/rate} whether or not earlier ones
   * have been answered, and its latency runs from that intended time to the end of the answer, so a stall shows
   * in the figures instead of slowing the client down (no coordinated omission). The first
   * {@code warmupSeconds} are sent but not recorded.
   */
  Latency fixedRate(
      int port,
      String path,
      byte[] body,
      int rate,
      int connections,
      double warmupSeconds,
      double seconds)
      throws Exception {
    return fixedRate(port, path, i -> body, rate, connections, warmupSeconds, seconds);
  }

  /** As {@link #fixedRate(int, String, byte[], int, int, double, double)}, request {@code i} sending {@code bodies.body(i)}. */
  Latency fixedRate(
      int port,
      String path,
      Bodies bodies,
      int rate,
      int connections,
      double warmupSeconds,
      double seconds)
      throws Exception {
    long periodNanos = 1_000_000_000L / rate;
    long total = (long) ((warmupSeconds + seconds) * rate);
    long recordFrom = (long) (warmupSeconds * rate);
    Histogram histogram = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    AtomicLong errors = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    String deployment =
        vertx
            .deployVerticle(
                new AbstractVerticle() {
                  HttpClient client;
                  long start;
                  long issued;
                  long completed;

                  @Override
                  public void start() {
                    client =
                        vertx.createHttpClient(
                            options(port), new PoolOptions().setHttp1MaxSize(connections));
                    start = System.nanoTime();
                    vertx.setPeriodic(
                        1,
                        id -> {
                          long now = System.nanoTime();
                          while (issued < total && start + issued * periodNanos <= now) {
                            send(issued++);
                          }
                          if (issued >= total) {
                            vertx.cancelTimer(id);
                          }
                        });
                  }

                  private void send(long i) {
                    long intended = start + i * periodNanos;
                    post(client, path, bodies.body(i))
                        .onComplete(
                            ar -> {
                              long micros = (System.nanoTime() - intended) / 1000;
                              if (i >= recordFrom) {
                                histogram.recordValue(
                                    Math.min(micros, histogram.getHighestTrackableValue()));
                                if (ar.failed() || ar.result() != 200) {
                                  errors.incrementAndGet();
                                }
                              }
                              if (++completed == total) {
                                done.countDown();
                              }
                            });
                  }
                })
            .toCompletionStage()
            .toCompletableFuture()
            .get();
    boolean finished = done.await((long) (warmupSeconds + seconds) + 30, TimeUnit.SECONDS);
    vertx.undeploy(deployment).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (!finished) {
      throw new IllegalStateException("fixed-rate run did not finish in time");
    }
    return new Latency(histogram, histogram.getTotalCount(), errors.get(), rate);
  }

  private static HttpClientOptions options(int port) {
    return new HttpClientOptions()
        .setDefaultHost("127.0.0.1")
        .setDefaultPort(port)
        .setKeepAlive(true)
        .setPipelining(false)
        .setTcpNoDelay(true)
        .setConnectTimeout(5_000)
        .setIdleTimeout(0);
  }

  /** One POST; completes with the status code once the whole answer has been read. */
  private Future<Integer> post(HttpClient client, String path, byte[] body) {
    Map<String, LongAdder> tally = answers;
    return client
        .request(
            new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setURI(path)
                .putHeader("content-type", "application/json"))
        .compose(req -> req.send(Buffer.buffer(io.netty.buffer.Unpooled.wrappedBuffer(body))))
        .compose(
            resp ->
                resp.body()
                    .map(
                        b -> {
                          if (tally != null) {
                            tally
                                .computeIfAbsent(
                                    resp.statusCode() + " " + firstWarning(b.toString()),
                                    k -> new LongAdder())
                                .increment();
                          }
                          return resp.statusCode();
                        }));
  }

  /** The first warning of an AdmissionReview answer, up to its first semicolon, or "no warning". */
  static String firstWarning(String answer) {
    int at = answer.indexOf("\"warnings\":[\"");
    if (at < 0) {
      return "no warning";
    }
    int from = at + 13;
    int end = answer.indexOf('"', from);
    int semicolon = answer.indexOf(';', from);
    return answer.substring(from, semicolon > 0 && semicolon < end ? semicolon : end);
  }
}
