/**
 * Helpers shared by several quantkit packages. Public only because Java has no wider-than-package
 * visibility without modules: not part of the API, may change in any release.
 */
package io.quantkit.internal;
