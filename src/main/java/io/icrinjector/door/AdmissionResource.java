package io.icrinjector.door;

import io.icrinjector.handler.AdmissionAnswer;
import io.icrinjector.handler.AdmissionHandler;
import io.icrinjector.handler.Endpoint;
import io.netty.buffer.ByteBuf;
import io.smallrye.common.annotation.NonBlocking;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.HttpHeaders;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * The HTTP door: {@code POST /mutate} and {@code POST /audit} as a Jakarta REST resource, answered on the I/O
 * thread. It hands the raw AdmissionReview body to the {@link AdmissionHandler} and sends its answer's bytes
 * back; no DTO is bound, so the handler patches against the JSON the API server sent. A copy wait is a Uni the
 * handler completes later: nothing here blocks.
 *
 * <p>The methods take no entity parameter: the {@link AdmissionRoutes} ahead of this resource have refused what
 * the door will not read, and read the body of the rest into one Vert.x buffer, which the handler reads in place
 * (an entity parameter would have Quarkus REST copy the body twice, and read a body over 10 KiB on a worker
 * thread).
 */
@Path("")
public class AdmissionResource {

  private static final Logger LOG = Logger.getLogger(AdmissionResource.class);

  private final AdmissionHandler handler;
  private final AdmissionRoutes routes;

  /** CDI constructor. */
  public AdmissionResource(AdmissionHandler handler, AdmissionRoutes routes) {
    this.handler = handler;
    this.routes = routes;
  }

  /** Rewrites and attaches (or audits, under {@code icr.mode=audit}). */
  @POST
  @Path(Endpoint.MUTATE_PATH)
  @NonBlocking
  public Uni<RestResponse<byte[]>> mutate(RoutingContext ctx) {
    return answer(ctx, Endpoint.MUTATE);
  }

  /** Reports what {@code /mutate} would do. */
  @POST
  @Path(Endpoint.AUDIT_PATH)
  @NonBlocking
  public Uni<RestResponse<byte[]>> audit(RoutingContext ctx) {
    return answer(ctx, Endpoint.AUDIT);
  }

  private Uni<RestResponse<byte[]>> answer(RoutingContext ctx, Endpoint endpoint) {
    return routes.body(ctx, endpoint).chain(body -> {
      // One heap array, read in place rather than copying up to 7 MiB again.
      ByteBuf bytes = body.getByteBuf();
      if (bytes.hasArray()) {
        return handler.handle(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes(),
            endpoint);
      }
      byte[] copy = body.getBytes();
      return handler.handle(copy, 0, copy.length, endpoint);
    }).map(a -> {
      if (ctx.response().closed()) {
        LOG.debugf("client of %s went away before its answer", endpoint.path());
      }
      return rest(a).build();
    }).onFailure(AdmissionRoutes.BodyTooLarge.class).recoverWithItem(e -> routes.tooLargeAnswer(ctx, endpoint))
        // A hang-up (logged by the routes at DEBUG) or a bug (logged and counted by the handler): the
        // failurePolicy decides what becomes of the pod.
        .onFailure().recoverWithItem(e -> rest(AdmissionAnswer.internalError()).build());
  }

  /** The REST response that sends {@code answer}. */
  static RestResponse.ResponseBuilder<byte[]> rest(AdmissionAnswer answer) {
    return RestResponse.ResponseBuilder.<byte[]>create(answer.status()).entity(answer.body())
        .header(HttpHeaders.CONTENT_TYPE, answer.contentType());
  }
}
