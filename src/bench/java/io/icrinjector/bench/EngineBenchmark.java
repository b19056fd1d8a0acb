package io.icrinjector.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icrinjector.engine.Decision;
import io.icrinjector.engine.MutationEngine;
import io.icrinjector.engine.ReviewReader;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.patch.PatchBuilder;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The engine alone, per pod size: parse the review, decide, build the patch. No HTTP, no CDI. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EngineBenchmark {

  /** The defaults of {@code icr.rewrites} and {@code icr.pull-secret-rules}. */
  static final RewriteRules DEFAULT_RULES = io.icrinjector.engine.DefaultRules.of();

  @Param({"SMALL", "TYPICAL", "LARGE"})
  public PodReviews.Size size;

  private byte[] review;
  private final ObjectMapper mapper = new ObjectMapper();
  private final ReviewReader reader = new ReviewReader(mapper);
  private final MutationEngine engine = new MutationEngine(DEFAULT_RULES);

  @Setup
  public void setUp() {
    review = PodReviews.review(size);
  }

  /** What the handler does with a body before it writes the answer. */
  @Benchmark
  public byte[] parseDecidePatch() throws IOException {
    JsonNode request = reader.read(review).get("request");
    Decision decision = engine.decide(request);
    return PatchBuilder.build(decision);
  }

  /** The same with the whole review read into a tree, as the handler did before {@link ReviewReader}. */
  @Benchmark
  public byte[] fullTreeDecidePatch() throws IOException {
    JsonNode request = mapper.readTree(review).get("request");
    Decision decision = engine.decide(request);
    return PatchBuilder.build(decision);
  }
}
