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

// Lane element of `k` lanes, `slotBits` apart, each holding a `bits`-bit digit:
// el = sum_m d_m * 2^(slotBits*m) with d_m in [0, 2^bits). The well-formedness circuit uses it
// once per committed element; it is what makes the inference's slot arithmetic exact.
template LaneDigits(k, slotBits, bits) {
    signal input el;
    signal d[k];
    component rc[k];
    var acc = 0;
    for (var m = 0; m < k; m++) {
        d[m] <-- (el >> (slotBits * m)) & ((1 << bits) - 1);
        rc[m] = Num2Bits(bits);
        rc[m].in <== d[m];
        acc += d[m] * (1 << (slotBits * m));
    }
    el === acc;
}

// The signed lane vector of a lane element: sum_m (d_m - 2^(bits-1)) * 2^(slotBits*m), as the
// constant the element is offset by (every lane's digit is the value + 2^(bits-1)).
function laneOffset(k, slotBits, bits) {
    var c = 0;
    for (var m = 0; m < k; m++) c += (1 << (bits - 1)) * (1 << (slotBits * m));
    return c;
}

// Dense layer in fixed point: z_j = sum_i w[j][i] * x[i] + b[j];
// y_j = floor((z_j + round) / 2^shift), then ReLU when relu == 1.
// The weights come as committed lane elements: wl[g][i] holds the weights of neurons
// g*per .. g*per+per-1 for input i, one per slot of slotBits bits (digit w + 2^(weightBits-1));
// bl[g] holds their biases the same way (digit b + 2^(biasBits-1)). So
// (wl[g][i] - offset) * x[i] computes `per` products in one constraint and no weight is
// decomposed here: the lanes are in range because the well-formedness proof of the same
// commitment says so. The slots then never overflow (slotBits comes from worst-case bounds),
// so one bit decomposition of the packed sum yields every z_j exactly; it is the range check,
// the division with remainder (low `shift` bits) and the sign for ReLU (top bit) at once.
template DenseLayer(nIn, nOut, slotBits, shift, relu, round, per, weightBits, biasBits) {
    signal input x[nIn];
    var nGroups = (nOut + per - 1) \ per;
    signal input wl[nGroups][nIn];
    signal input bl[nGroups];
    signal output y[nOut];

    signal prod[nGroups][nIn];
    component bits[nGroups];
    var offset = (1 << (slotBits - 1)) + round;
    for (var g = 0; g < nGroups; g++) {
        var k = minOf(per, nOut - g * per);
        var wOff = laneOffset(k, slotBits, weightBits);
        var acc = bl[g] - laneOffset(k, slotBits, biasBits);
        for (var i = 0; i < nIn; i++) {
            prod[g][i] <== (wl[g][i] - wOff) * x[i];
            acc += prod[g][i];
        }
        for (var m = 0; m < k; m++) acc += offset * (1 << (slotBits * m));
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
