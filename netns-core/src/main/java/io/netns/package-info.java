/**
 * netns: Docker's four network modes ({@code host}, {@code bridge}, {@code container:<id>}, {@code none})
 * for the JVM over Linux network namespaces, without a daemon and without forking {@code ip}.
 *
 * <p>Start with {@link io.netns.NetNamespace} for a raw namespace handle, or {@link io.netns.Host} and
 * {@link io.netns.NetworkMode} for sandboxes that own everything their mode made. Each mode's class holds
 * its own setup and teardown (the undo steps it pushes), so a new mode is one class plus
 * {@code NetworkMode}'s {@code permits}. {@link io.netns.Sysctl} reads and writes a namespace's sysctls.
 */
package io.netns;
