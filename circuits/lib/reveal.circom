pragma circom 2.1.0;

// What an inference proof reveals of its input and output (docs/ZK.md "Private input and
// output"). zkp/reveal.ts is the bit-exact TypeScript counterpart; change both together.

include "circomlib/circuits/bitify.circom";
// Uses RangePack and ChainHash of mlp.circom: the generated main includes both files.

// inputCommitment = ChainHash(packed x ++ [salt], iv). The salt is a uniformly random field
// element the prover keeps, so the commitment hides even a low-entropy input; the range checks
// of RangePack make the packing (and so the opening) unique.
template InputCommitment(n, bits, per, iv) {
    signal input x[n];
    signal input salt;
    signal output out;

    var nEl = (n + per - 1) \ per;
    component px = RangePack(n, bits, per);
    px.in <== x;
    component h = ChainHash(nEl + 1, iv);
    for (var e = 0; e < nEl; e++) h.in[e] <== px.out[e];
    h.in[nEl] <== salt;
    out <== h.out;
}

// outputCommitment = ChainHash([y_0 .. y_{m-1}, salt], iv), y as field elements (negative v is
// p - |v|). The outputs are computed by the circuit, so they need no range check of their own.
template OutputCommitment(m, iv) {
    signal input y[m];
    signal input salt;
    signal output out;

    component h = ChainHash(m + 1, iv);
    for (var j = 0; j < m; j++) h.in[j] <== y[j];
    h.in[m] <== salt;
    out <== h.out;
}

// Constrains `class` to the argmax of y, ties to the lowest index: with the one-hot selector s
// (s_c = 1), every d_j = y_c - y_j - [j < c] is in [0, 2^(bits+1)). |y_j| <= 2^(bits-1) for
// every in-range model and input, so a negative d_j would be a field element near p and fails
// its Num2Bits; [j < c] = sum_{k > j} s_k makes an earlier equal maximum fail too.
template ArgmaxClass(m, bits) {
    signal input y[m];
    signal input class;

    signal s[m];
    signal picked[m];
    var total = 0;
    var index = 0;
    var ymax = 0;
    for (var j = 0; j < m; j++) {
        s[j] <-- j == class ? 1 : 0;
        s[j] * (s[j] - 1) === 0;
        total += s[j];
        index += j * s[j];
        picked[j] <== s[j] * y[j];
        ymax += picked[j];
    }
    total === 1;
    index === class;

    component diff[m];
    for (var j = 0; j < m; j++) {
        var later = 0;
        for (var k = j + 1; k < m; k++) later += s[k];
        diff[j] = Num2Bits(bits + 1);
        diff[j].in <== ymax - y[j] - later;
    }
}
