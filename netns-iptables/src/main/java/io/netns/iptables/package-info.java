/** See the module's README section. */
package io.netns.iptables;
