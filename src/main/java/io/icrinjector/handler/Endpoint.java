package io.icrinjector.handler;

/**
 * The HTTP endpoints icr-injector answers, named once: the door's routes, the
 * handler's metrics ({@code path} label) and the MutatingWebhookConfiguration test in {@code deploy/} read them
 * from here.
 */
public enum Endpoint {
  /** Rewrites and attaches (unless {@code icr.mode=audit}). */
  MUTATE(Endpoint.MUTATE_PATH, false),
  /** Reports what {@link #MUTATE} would do; never patches, never copies. */
  AUDIT(Endpoint.AUDIT_PATH, true);

  /** {@link #MUTATE}'s path, a constant for {@code @Path}. */
  public static final String MUTATE_PATH = "/mutate";

  /** {@link #AUDIT}'s path, a constant for {@code @Path}. */
  public static final String AUDIT_PATH = "/audit";

  private final String path;
  private final boolean audit;

  Endpoint(String path, boolean audit) {
    this.path = path;
    this.audit = audit;
  }

  /** The HTTP path, as the webhook configuration's {@code clientConfig.service.path} names it. */
  public String path() {
    return path;
  }

  /** True when this endpoint only reports: no patch, no copy. */
  public boolean audit() {
    return audit;
  }
}
