/**
 * The ground floor of everything that talks to Kubernetes: how the clients are made ({@link
 * io.icrinjector.kube.UserAgent} on the client Quarkus builds, {@link io.icrinjector.kube.Clients#oneAttempt}), how a
 * failed call reads ({@link io.icrinjector.kube.KubeErrors}, with the one {@code describe} of the application), how a
 * cluster-wide list is read a page at a time ({@link io.icrinjector.kube.Pages}), and the names of the labels and
 * annotations icr-injector reads and writes ({@link io.icrinjector.kube.Labels}). It imports nothing of ours but the
 * engine's skip label.
 *
 * <p>Who calls the API: {@code secrets} makes every write (copies, Events, the rotation Lease) and runs the watches.
 * Three reads call it through the client made here, in the package whose question they answer, because each is a
 * read whose meaning is its own and a wrapper here would only repeat it: {@code report.ReportBuilder} lists pods and
 * workloads for the migration report ({@link io.icrinjector.kube.Pages}), {@code config.MatchConditionsCheck} reads
 * the app's own MutatingWebhookConfiguration once at start, and {@code management.CallerCheck} asks for a TokenReview
 * and a SubjectAccessReview ({@link io.icrinjector.kube.Clients#oneAttempt}). All of them read failures with
 * {@link io.icrinjector.kube.KubeErrors#describe}. The architecture test ({@code ArchitectureTest}) keeps it so.
 */
package io.icrinjector.kube;
