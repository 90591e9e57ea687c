/**
 * Loading models of any format into the IR: {@link io.quantkit.model.Models#load} and the
 * {@link io.quantkit.model.ModelImporter} service interface that format modules implement.
 */
package io.quantkit.model;
