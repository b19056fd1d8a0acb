package io.icrinjector.engine;

/**
 * One image the engine rewrites.
 *
 * @param pointer JSON Pointer of the {@code image} field inside the pod, e.g. {@code /spec/containers/0/image}
 * @param containerName the container's name as given (may be empty if the pod gave none)
 * @param from the image as submitted
 * @param to the image after the rewrite
 * @param fromHost the deprecated host, lower case
 * @param toHost the replacement host
 */
public record ImageChange(
    String pointer, String containerName, String from, String to, String fromHost, String toHost) {}
