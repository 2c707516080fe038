/**
 * Makes protobufjs decode 64-bit integers as plain numbers everywhere. In Node it
 * finds the `long` package and would hand out `Long` objects, while browsers get
 * numbers; our 64-bit fields (timestamps in µs, ms clocks) fit in 2^53 easily.
 * Must be evaluated before the generated code, which reads `util.Long` at load.
 */
import $protobuf from 'protobufjs/minimal.js';

// `util.Long` is typed as the Long constructor; null is how protobufjs spells "none".
($protobuf.util as { Long: unknown }).Long = null;
$protobuf.configure();
