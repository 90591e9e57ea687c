/**
 * The quantization playground: a local web application ({@code quantkit playground}) that runs
 * calibrate -> quantize -> evaluate on the embedded ResNet8 or an uploaded model with live
 * progress, cancellation, plots, and downloads of the QDQ model, the plan and the HTML report.
 *
 * <p>The server is the JDK's own {@code com.sun.net.httpserver} (module jdk.httpserver, an exported,
 * supported API): a dozen JSON routes and a few static files need no framework, it adds no
 * dependency to keep up to date, and it binds exactly the address it is given (127.0.0.1 by
 * default).
 */
package io.quantkit.playground;
