// Classification accuracy of a model function over rows of a labelled dataset.

export interface Dataset {
  x: readonly (readonly number[])[];
  y: readonly number[];
}

/** Index of the largest score (the first one on ties). */
export function argmax(scores: readonly (number | bigint)[]): number {
  return scores.reduce<number>((best, s, i) => (s > scores[best]! ? i : best), 0);
}

/** Share of rows idx whose argmax of f(x) is their label. */
export function accuracy(data: Dataset, idx: readonly number[], f: (x: readonly number[]) => readonly (number | bigint)[]): number {
  return idx.filter((i) => argmax(f(data.x[i]!)) === data.y[i]).length / idx.length;
}
