/**
 * netns: Docker's four network modes ({@code host}, {@code bridge}, {@code container:<id>}, {@code none})
 * for the JVM over Linux network namespaces, without a daemon and without forking {@code ip}.
 *
 * <p>Start with {@link io.netns.NetNamespace} for a raw namespace handle, or {@link io.netns.Host} and
 * {@link io.netns.NetworkMode} for sandboxes that own everything their mode made.
 */
package io.netns;
