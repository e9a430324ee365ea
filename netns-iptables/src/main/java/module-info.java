/**
 * The {@link io.netns.Firewall} implementation over {@code iptables-restore} and native nf_tables rules.
 *
 * @provides io.netns.Firewall {@link io.netns.iptables.IptablesFirewall}, found by netns-core with
 *     {@link java.util.ServiceLoader}
 */
module io.netns.iptables {
    requires transitive io.netns;

    exports io.netns.iptables;

    provides io.netns.Firewall with io.netns.iptables.IptablesFirewall;
}
