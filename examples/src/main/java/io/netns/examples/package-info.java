/** Runnable examples of netns, among them the seed lab demo ({@link io.netns.examples.Demo}). */
package io.netns.examples;
