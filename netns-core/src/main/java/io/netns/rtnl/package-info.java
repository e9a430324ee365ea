/**
 * rtnetlink: {@link io.netns.rtnl.RtnlClient} manages the links, addresses and routes of one namespace with
 * no {@code ip} process and no switch per call, a thin client over the internal netlink engine. Sysctls are
 * not rtnetlink: they are {@link io.netns.Sysctl} ({@code io.netns.rtnl.Sysctl} is a deprecated alias).
 */
package io.netns.rtnl;
