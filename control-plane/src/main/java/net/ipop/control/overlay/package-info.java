/**
 * The overlay node: members of an overlay find each other through signalling ({@code control.signal}), prove
 * membership with certificates of the overlay's CA, get through NATs with ICE ({@code control.ice}) on the data
 * plane's own UDP socket, and then run the Noise handshake of {@code control.node} over the path ICE selected.
 * {@link net.ipop.control.overlay.OverlayNode} holds the policy; {@code OverlayTopology} plans which members get
 * an ICE session (the topology of {@code control.topology}, per overlay) and routes the others through their next
 * hop; {@link net.ipop.control.overlay.OverlayAgent} runs it as an Agrona agent.
 */
package net.ipop.control.overlay;
