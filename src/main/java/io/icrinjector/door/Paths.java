package io.icrinjector.door;

/** The HTTP paths icr-injector answers; the MutatingWebhookConfiguration in {@code deploy/} names the same. */
public final class Paths {
  /** Rewrites and attaches (unless {@code icr.mode=audit}). */
  public static final String MUTATE = "/mutate";
  /** Reports what {@link #MUTATE} would do; never patches, never copies. */
  public static final String AUDIT = "/audit";

  private Paths() {}
}
