/** "Did you mean …?": the candidates closest to a mistyped name, by edit distance over case-folded text. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** At most `limit` candidates within a third of the name's length (or containing it), nearest first. */
export function closeMatches(name: string, candidates: readonly string[], limit = 3): string[] {
  const wanted = name.toLowerCase();
  const bound = Math.max(2, Math.ceil(wanted.length / 3));
  return candidates
    .map((candidate) => {
      const folded = candidate.toLowerCase();
      const d = folded.includes(wanted) || wanted.includes(folded) ? 0.5 : distance(wanted, folded);
      return { candidate, d };
    })
    .filter((c) => c.d <= bound)
    .sort((x, y) => x.d - y.d || x.candidate.localeCompare(y.candidate))
    .slice(0, limit)
    .map((c) => c.candidate);
}

/** The phrase for an error message: ` (did you mean "a" or "b"?)`, or nothing. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const matches = closeMatches(name, candidates);
  if (matches.length === 0) return "";
  return ` (did you mean ${matches.map((m) => `"${m}"`).join(" or ")}?)`;
}
