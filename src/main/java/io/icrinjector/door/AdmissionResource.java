package io.icrinjector.door;

import io.icrinjector.handler.AdmissionAnswer;
import io.icrinjector.handler.AdmissionHandler;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * The HTTP door: maps the raw AdmissionReview body to the {@link AdmissionHandler} and its answer back to HTTP.
 * The body stays raw bytes so that the handler can patch against the JSON the API server sent.
 */
@Path("/")
public class AdmissionResource {

  private final AdmissionHandler handler;

  /** CDI constructor. */
  public AdmissionResource(AdmissionHandler handler) {
    this.handler = handler;
  }

  /** Rewrites and attaches (or audits, under {@code icr.mode=audit}). */
  @POST
  @Path(Paths.MUTATE)
  @Consumes(MediaType.WILDCARD)
  public Uni<Response> mutate(byte[] body) {
    return handler.handle(body, false).map(AdmissionResource::toResponse);
  }

  /** Reports what {@code /mutate} would do, changing nothing. */
  @POST
  @Path(Paths.AUDIT)
  @Consumes(MediaType.WILDCARD)
  public Uni<Response> audit(byte[] body) {
    return handler.handle(body, true).map(AdmissionResource::toResponse);
  }

  private static Response toResponse(AdmissionAnswer answer) {
    return Response.status(answer.status()).type(answer.contentType()).entity(answer.body()).build();
  }
}
