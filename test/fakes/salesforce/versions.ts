/**
 * API versions the fake serves: 31.0 (Summer '14) through 66.0 (Spring '26, the newest GA release in the
 * research notes). Three releases a year, so the release label follows from the version number.
 */
const OLDEST = 31;
const NEWEST = 66;
const SEASONS = ["Winter", "Spring", "Summer"] as const;

function releaseLabel(major: number): string {
  // v62.0 is Winter '25; each release moves one season forward.
  const offset = major - 62;
  const season = SEASONS[((offset % 3) + 3) % 3];
  const year = 25 + Math.floor(offset / 3);
  return `${season} '${String(year).padStart(2, "0")}`;
}

export function versionsList() {
  const out = [];
  for (let major = OLDEST; major <= NEWEST; major++) {
    out.push({ label: releaseLabel(major), url: `/services/data/v${major}.0`, version: `${major}.0` });
  }
  return out;
}

export function isSupportedVersion(version: string): boolean {
  const match = /^(\d+)\.0$/.exec(version);
  const major = match ? Number(match[1]) : Number.NaN;
  return major >= OLDEST && major <= NEWEST;
}
