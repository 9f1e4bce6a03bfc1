pragma circom 2.1.0;

// Building blocks of the generated inference circuits. zkp/commitment.ts and zkp/mlp.ts are the
// bit-exact TypeScript counterparts; change both together.

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

function minOf(a, b) {
    if (a < b) return a;
    return b;
}

// Range-checks n signed `bits`-bit values and packs them little-endian, `per` values per element:
// out[e] = sum (in[i] + 2^(bits-1)) * 2^(bits*(i % per)). The packing is linear in the range-check
// bits, so it costs no constraint beyond the `bits` booleanity checks per value.
template RangePack(n, bits, per) {
    signal input in[n];
    var nEl = (n + per - 1) \ per;
    signal output out[nEl];

    component rc[n];
    var acc[nEl];
    for (var e = 0; e < nEl; e++) acc[e] = 0;
    for (var i = 0; i < n; i++) {
        rc[i] = Num2Bits(bits);
        rc[i].in <== in[i] + (1 << (bits - 1));
        acc[i \ per] += (in[i] + (1 << (bits - 1))) * (1 << (bits * (i % per)));
    }
    for (var e = 0; e < nEl; e++) out[e] <== acc[e];
}

// Chained Poseidon: h = iv; for each chunk c of up to 15 inputs, h = Poseidon([h, ...c]).
template ChainHash(n, iv) {
    signal input in[n];
    signal output out;

    var nCalls = (n + 14) \ 15;
    component h[nCalls];
    var prev = iv;
    for (var c = 0; c < nCalls; c++) {
        var len = minOf(15, n - 15 * c);
        h[c] = Poseidon(len + 1);
        h[c].inputs[0] <== prev;
        for (var k = 0; k < len; k++) h[c].inputs[k + 1] <== in[15 * c + k];
        prev = h[c].out;
    }
    out <== prev;
}

// Dense layer in fixed point: z_j = sum_i w[j][i] * x[i] + b[j];
// y_j = floor((z_j + round) / 2^shift), then ReLU when relu == 1.
// `per` neurons share each multiplication: their weights are packed in slots of slotBits bits,
// so (sum_m w[j_m][i] * 2^(slotBits*m)) * x[i] computes `per` products in one constraint. The
// slots never overflow (slotBits comes from worst-case bounds), so one bit decomposition of the
// packed sum yields every z_j exactly; it is the range check, the division with remainder (low
// `shift` bits are the remainder) and the sign for ReLU (top bit) at once.
template DenseLayer(nIn, nOut, slotBits, shift, relu, round, per) {
    signal input x[nIn];
    signal input w[nOut][nIn];
    signal input b[nOut];
    signal output y[nOut];

    var nGroups = (nOut + per - 1) \ per;
    signal prod[nGroups][nIn];
    component bits[nGroups];
    var offset = (1 << (slotBits - 1)) + round;
    for (var g = 0; g < nGroups; g++) {
        var k = minOf(per, nOut - g * per);
        var acc = 0;
        for (var i = 0; i < nIn; i++) {
            var packed = 0;
            for (var m = 0; m < k; m++) packed += w[g * per + m][i] * (1 << (slotBits * m));
            prod[g][i] <== packed * x[i];
            acc += prod[g][i];
        }
        for (var m = 0; m < k; m++) acc += (b[g * per + m] + offset) * (1 << (slotBits * m));
        bits[g] = Num2Bits(k * slotBits);
        bits[g].in <== acc;
        for (var m = 0; m < k; m++) {
            var q = 0;
            for (var t = shift; t < slotBits; t++) q += bits[g].out[m * slotBits + t] * (1 << (t - shift));
            q = q - (1 << (slotBits - 1 - shift));
            if (relu == 1) {
                // Top bit of the slot is 1 exactly when z + round >= 0, i.e. q >= 0.
                y[g * per + m] <== q * bits[g].out[m * slotBits + slotBits - 1];
            } else {
                y[g * per + m] <== q;
            }
        }
    }
}
