// What identifies a disc: the line in .disk/info (the format Ubuntu's isobuild writes, which installers
// and `casper`/`live-boot` tooling read) and the ISO 9660 volume id derived from the same fields.

export interface DiscIdentity {
  /** Capitalised project name, e.g. "Golden" (isobuild's --capproject). */
  capProject: string;
  version: string;
  official: boolean;
  arch: string;
  /** Build date, seconds since 1970 (SOURCE_DATE_EPOCH, so the line is reproducible). */
  epoch: number;
}

export function capitalise(project: string): string {
  return project.charAt(0).toUpperCase() + project.slice(1);
}

export function buildDate(epoch: number): string {
  return new Date(epoch * 1000).toISOString().slice(0, 10).replace(/-/g, '');
}

/** `{CapProject} {version} - {Daily|Release} {arch} ({YYYYMMDD})` */
export function diskInfoLine(id: DiscIdentity): string {
  return `${id.capProject} ${id.version} - ${id.official ? 'Release' : 'Daily'} ${id.arch} (${buildDate(id.epoch)})`;
}

export const VOLUME_ID_MAX = 32;

/**
 * A volume id of at most 32 characters (ISO 9660 limit): "Project version arch" when it fits, else
 * the architecture is dropped, then the project name is cut, keeping the version whole because it is
 * what tells two discs apart in a drive list.
 */
export function volumeId(id: Pick<DiscIdentity, 'capProject' | 'version' | 'arch'>): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');
  const project = clean(id.capProject);
  const version = clean(id.version);
  const arch = clean(id.arch);
  const full = `${project} ${version} ${arch}`;
  if (full.length <= VOLUME_ID_MAX) return full;
  const noArch = `${project} ${version}`;
  if (noArch.length <= VOLUME_ID_MAX) return noArch;
  const room = VOLUME_ID_MAX - version.length - 1;
  if (room >= 4) return `${project.slice(0, room)} ${version}`;
  return `${project} ${version}`.slice(0, VOLUME_ID_MAX);
}
