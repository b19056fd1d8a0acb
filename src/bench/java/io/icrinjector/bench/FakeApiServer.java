package io.icrinjector.bench;

import io.icrinjector.kube.Labels;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny Kubernetes API stand-in on loopback (plain HTTP) for the benchmark. It knows two secrets named
 * {@code all-icr-io}: the source in {@code default} and a copy, marked as icr-injector's, in the benchmark pods'
 * namespace, so the webhook's hot path has nothing to copy. It answers the secret list (cluster-wide or per
 * namespace) and the single secret, answers a create of a secret it holds with 409 (as a real API server would),
 * keeps watch requests open, answers anything else with 404, and counts every request it receives.
 *
 * <p>For the path of a namespace that lacks the secret it also serves the opted-in namespaces
 * ({@code icr-injector.io/inject=enabled}, listed and watched as the webhook's OptedInNamespaces asks): the
 * benchmark namespace and {@code freshCount} namespaces named {@link #fresh(int)} that hold no copy. A create of
 * the secret in an opted-in namespace is answered 201 and recorded (a second one gets 409), and delivered to the
 * open secret watches as an ADDED event, as kube-apiserver would; Events are accepted (201) and counted.
 */
final class FakeApiServer implements AutoCloseable {

  static final String SECRET = "all-icr-io";
  static final String RESOURCE_VERSION = "1000";

  private final Vertx vertx;
  private final HttpServer server;
  private final AtomicLong requests = new AtomicLong();
  private final Map<String, AtomicLong> byPath = new ConcurrentHashMap<>();
  private final List<JsonObject> secrets;
  private final String benchNamespace;
  private final int freshCount;

  /** Copies created through the API, by namespace. */
  private final Map<String, JsonObject> created = new ConcurrentHashMap<>();

  private final AtomicLong events = new AtomicLong();
  private final AtomicLong resourceVersion = new AtomicLong(2000);

  /** Open WebSocket watches of secrets: they hear of every copy created. */
  private final List<ServerWebSocket> secretWatches = new CopyOnWriteArrayList<>();

  private Buffer namespaceList;

  /** Once set, requests are counted and never answered (a blackhole at the HTTP level: the sockets stay open). */
  private volatile boolean silent;

  FakeApiServer(Vertx vertx, String benchNamespace) throws Exception {
    this(vertx, benchNamespace, 0);
  }

  /** With {@code freshCount} opted-in namespaces that hold no copy (see {@link #fresh(int)}). */
  FakeApiServer(Vertx vertx, String benchNamespace, int freshCount) throws Exception {
    this.vertx = vertx;
    this.benchNamespace = benchNamespace;
    this.freshCount = freshCount;
    this.secrets = List.of(secret("default", "1", false), secret(benchNamespace, "2", true));
    this.server =
        vertx
            .createHttpServer()
            .requestHandler(this::handle)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  int port() {
    return server.actualPort();
  }

  /** Every request received so far, whatever it was. */
  long requests() {
    return requests.get();
  }

  /** Request counts by method and path (without the query), for the progress log. */
  Map<String, AtomicLong> byPath() {
    return byPath;
  }

  /** Secrets created through the API so far (copies into opted-in namespaces). */
  long secretsCreated() {
    return created.size();
  }

  /** Events posted so far. */
  long eventsCreated() {
    return events.get();
  }

  /** The name of fresh namespace {@code i}: opted in, without a copy; all names have the same length. */
  static String fresh(int i) {
    return String.format(java.util.Locale.ROOT, "%s%06d", FRESH_PREFIX, i);
  }

  /** Prefix of the fresh namespaces; {@link #fresh(int)} appends six digits. */
  static final String FRESH_PREFIX = "icr-bench-fresh-";

  private boolean optedIn(String namespace) {
    if (namespace.equals(benchNamespace)) {
      return true;
    }
    if (!namespace.startsWith(FRESH_PREFIX) || namespace.length() != FRESH_PREFIX.length() + 6) {
      return false;
    }
    try {
      return Integer.parseInt(namespace.substring(FRESH_PREFIX.length())) < freshCount;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** From now on, counts requests and answers none; open watches stay open and hear nothing more. */
  void goSilent() {
    silent = true;
  }

  /** Stops listening and closes every connection: from now on a connect is refused. */
  void refuse() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private void handle(HttpServerRequest req) {
    requests.incrementAndGet();
    if (silent) {
      return;
    }
    String path = req.path();
    String[] parts = path.split("/");
    // Fresh namespaces are counted under one key, or the progress line would name thousands.
    String counted =
        parts.length >= 5 && parts[3].equals("namespaces") && parts[4].startsWith(FRESH_PREFIX)
            ? path.replace(parts[4], "{fresh}")
            : path;
    byPath.computeIfAbsent(req.method() + " " + counted, k -> new AtomicLong()).incrementAndGet();
    if (path.equals("/api/v1/namespaces") && req.method().name().equals("GET")) {
      namespaces(req);
      return;
    }
    if (parts.length == 6
        && path.startsWith("/api/v1/namespaces/")
        && parts[5].equals("events")
        && req.method().name().equals("POST")) {
      req.body()
          .onSuccess(
              b -> {
                events.incrementAndGet();
                JsonObject event = new JsonObject(b);
                event
                    .getJsonObject("metadata", new JsonObject())
                    .put("resourceVersion", String.valueOf(resourceVersion.incrementAndGet()));
                req.response()
                    .setStatusCode(201)
                    .putHeader("content-type", "application/json")
                    .end(event.encode());
              });
      return;
    }
    // /api/v1/secrets, /api/v1/namespaces/<ns>/secrets, /api/v1/namespaces/<ns>/secrets/<name>
    String namespace = null;
    String name = null;
    boolean secretsPath = false;
    if (path.equals("/api/v1/secrets")) {
      secretsPath = true;
    } else if (parts.length >= 6
        && parts[1].equals("api")
        && parts[2].equals("v1")
        && parts[3].equals("namespaces")
        && parts[5].equals("secrets")
        && parts.length <= 7) {
      secretsPath = true;
      namespace = parts[4];
      name = parts.length == 7 ? parts[6] : null;
    }
    if (secretsPath && namespace != null && name == null && req.method().name().equals("POST")) {
      // A create, as the replicator sends when its watch has not listed yet: the secret is there
      // already.
      String ns = namespace;
      req.body()
          .onSuccess(
              b -> {
                String wanted =
                    new JsonObject(b)
                        .getJsonObject("metadata", new JsonObject())
                        .getString("name", "");
                if (find(ns, wanted) != null) {
                  status(req, 409, "AlreadyExists", "secrets \"" + wanted + "\" already exists");
                } else if (optedIn(ns)) {
                  create(req, ns, new JsonObject(b));
                } else {
                  status(req, 404, "NotFound", "namespaces \"" + ns + "\" not found");
                }
              });
      return;
    }
    if (!secretsPath || !req.method().name().equals("GET")) {
      notFound(req);
      return;
    }
    if (name != null) {
      JsonObject s = find(namespace, name);
      if (s != null) {
        json(req, s);
      } else {
        notFound(req);
      }
      return;
    }
    if ("true".equals(req.getParam("watch")) || "1".equals(req.getParam("watch"))) {
      // A watch stays open with no events until the client closes it. fabric8 watches over a
      // WebSocket, as
      // kube-apiserver allows; a plain HTTP watch gets a chunked stream.
      if ("websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
        req.toWebSocket()
            .onSuccess(
                ws -> {
                  secretWatches.add(ws);
                  ws.closeHandler(v -> secretWatches.remove(ws));
                });
      } else {
        req.response()
            .setChunked(true)
            .putHeader("content-type", "application/json")
            .setStatusCode(200);
        req.response().write("");
      }
      return;
    }
    String selector = req.getParam("fieldSelector");
    JsonArray items = new JsonArray();
    List<JsonObject> all = new java.util.ArrayList<>(secrets);
    all.addAll(created.values());
    for (JsonObject s : all) {
      JsonObject meta = s.getJsonObject("metadata");
      boolean inNamespace = namespace == null || meta.getString("namespace").equals(namespace);
      boolean selected =
          selector == null || selector.equals("metadata.name=" + meta.getString("name"));
      if (inNamespace && selected) {
        items.add(s);
      }
    }
    json(
        req,
        new JsonObject()
            .put("kind", "SecretList")
            .put("apiVersion", "v1")
            .put("metadata", new JsonObject().put("resourceVersion", RESOURCE_VERSION))
            .put("items", items));
  }

  /** A create in an opted-in namespace: 201 with the object as stored, and an ADDED event to the watches. */
  private void create(HttpServerRequest req, String namespace, JsonObject secret) {
    JsonObject meta = secret.getJsonObject("metadata");
    String version = String.valueOf(resourceVersion.incrementAndGet());
    meta.put("namespace", namespace)
        .put("resourceVersion", version)
        .put("uid", "5ec7e7a0-0000-4000-8000-" + String.format("%012d", Long.parseLong(version)))
        .put("creationTimestamp", "2026-01-01T00:00:00Z");
    if (created.putIfAbsent(namespace, secret) != null) {
      status(
          req, 409, "AlreadyExists", "secrets \"" + meta.getString("name") + "\" already exists");
      return;
    }
    String text = secret.encode();
    req.response().setStatusCode(201).putHeader("content-type", "application/json").end(text);
    String event = "{\"type\":\"ADDED\",\"object\":" + text + "}";
    for (ServerWebSocket ws : secretWatches) {
      ws.writeTextMessage(event);
    }
  }

  /** The opted-in namespaces (every namespace this server knows is labelled), listed or watched. */
  private void namespaces(HttpServerRequest req) {
    String selector = req.getParam("labelSelector");
    if ("true".equals(req.getParam("watch")) || "1".equals(req.getParam("watch"))) {
      if ("websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
        req.toWebSocket();
      } else {
        req.response()
            .setChunked(true)
            .putHeader("content-type", "application/json")
            .setStatusCode(200);
        req.response().write("");
      }
      return;
    }
    if (namespaceList == null) {
      StringBuilder items = new StringBuilder(160 * (freshCount + 1));
      items.append(namespace(benchNamespace));
      for (int i = 0; i < freshCount; i++) {
        items.append(',').append(namespace(fresh(i)));
      }
      namespaceList =
          Buffer.buffer(
              "{\"kind\":\"NamespaceList\",\"apiVersion\":\"v1\",\"metadata\":"
                  + "{\"resourceVersion\":\""
                  + RESOURCE_VERSION
                  + "\"},\"items\":["
                  + items
                  + "]}");
    }
    if (selector != null && !selector.equals("icr-injector.io/inject=enabled")) {
      json(
          req,
          new JsonObject()
              .put("kind", "NamespaceList")
              .put("apiVersion", "v1")
              .put("metadata", new JsonObject().put("resourceVersion", RESOURCE_VERSION))
              .put("items", new JsonArray()));
      return;
    }
    req.response().putHeader("content-type", "application/json").end(namespaceList);
  }

  private static String namespace(String name) {
    return "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\""
        + name
        + "\",\"resourceVersion\":\"3\",\"labels\":{\"icr-injector.io/inject\":\"enabled\","
        + "\"kubernetes.io/metadata.name\":\""
        + name
        + "\"}},\"status\":{\"phase\":\"Active\"}}";
  }

  private JsonObject find(String namespace, String name) {
    JsonObject copy = created.get(namespace);
    if (copy != null && copy.getJsonObject("metadata").getString("name").equals(name)) {
      return copy;
    }
    for (JsonObject s : secrets) {
      JsonObject meta = s.getJsonObject("metadata");
      if (meta.getString("namespace").equals(namespace) && meta.getString("name").equals(name)) {
        return s;
      }
    }
    return null;
  }

  private static void json(HttpServerRequest req, JsonObject body) {
    req.response().putHeader("content-type", "application/json").end(body.encode());
  }

  private static void notFound(HttpServerRequest req) {
    status(
        req,
        404,
        "NotFound",
        "the fake API server of the benchmark does not serve " + req.method() + " " + req.path());
  }

  private static void status(HttpServerRequest req, int code, String reason, String message) {
    req.response()
        .setStatusCode(code)
        .putHeader("content-type", "application/json")
        .end(
            new JsonObject()
                .put("kind", "Status")
                .put("apiVersion", "v1")
                .put("metadata", new JsonObject())
                .put("status", "Failure")
                .put("message", message)
                .put("reason", reason)
                .put("code", code)
                .encode());
  }

  private static JsonObject secret(String namespace, String resourceVersion, boolean copy) {
    JsonObject metadata =
        new JsonObject()
            .put("name", SECRET)
            .put("namespace", namespace)
            .put("uid", "5ec7e7a0-0000-4000-8000-00000000000" + resourceVersion)
            .put("resourceVersion", resourceVersion);
    if (copy) {
      // A copy as the replicator writes it, in step with the source (same data, source version 1):
      // nothing to do.
      metadata.put("labels", new JsonObject().put(Labels.MANAGED_BY, Labels.MANAGER));
      metadata.put(
          "annotations",
          new JsonObject()
              .put(Labels.SOURCE_ANNOTATION, "default/" + SECRET)
              .put(Labels.SOURCE_VERSION_ANNOTATION, "1"));
    }
    String dockerConfig =
        java.util.Base64.getEncoder()
            .encodeToString(
                "{\"auths\":{\"us.icr.io\":{\"username\":\"iamapikey\",\"password\":\"bench\"}}}"
                    .getBytes());
    return new JsonObject()
        .put("kind", "Secret")
        .put("apiVersion", "v1")
        .put("metadata", metadata)
        .put("type", "kubernetes.io/dockerconfigjson")
        .put("data", new JsonObject().put(".dockerconfigjson", dockerConfig));
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
