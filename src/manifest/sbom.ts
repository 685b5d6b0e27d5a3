// A CycloneDX 1.5 JSON SBOM (https://cyclonedx.org/docs/1.5/json/) of the Debian packages installed in
// an image. Each package is a component named by its package URL (purl spec, type "deb"), and the
// image itself is the BOM's subject, depending on every package. Everything is derived from the
// inputs (no random serial number, no clock) so the same image gives the same SBOM.
import { createHash } from 'node:crypto';
import type { InstalledPackage } from './dpkg-status.js';

export interface SbomMeta {
  /** Image name and version. */
  name: string;
  version: string;
  goldenVersion: string;
  /** purl namespace: debian or ubuntu. */
  vendor: string;
  /** purl "distro" qualifier, e.g. debian-12. */
  distro: string;
  /** ISO 8601 build time. */
  timestamp: string;
}

/** pkg:deb/NAMESPACE/NAME@VERSION?arch=…&distro=… with the version percent-encoded (":" of epochs, "+"). */
export function debPurl(p: Pick<InstalledPackage, 'name' | 'version' | 'architecture'>, vendor: string, distro: string): string {
  const enc = (s: string) => encodeURIComponent(s);
  return `pkg:deb/${enc(vendor)}/${enc(p.name)}@${enc(p.version)}?arch=${enc(p.architecture)}&distro=${enc(distro)}`;
}

function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  // RFC 4122 layout with version 5-style bits, so tools that parse it as a UUID accept it
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const isUrl = (s: string) => /^https?:\/\/[^\s"<>\\^`{|}]+$/.test(s);

export function buildSbom(packages: readonly InstalledPackage[], meta: SbomMeta): object {
  const components = packages.map((p) => {
    const purl = debPurl(p, meta.vendor, meta.distro);
    const c: Record<string, unknown> = { type: 'library', 'bom-ref': purl, name: p.name, version: p.version, purl };
    if (p.summary) c['description'] = p.summary;
    if (p.maintainer) c['supplier'] = { name: p.maintainer };
    if (p.homepage && isUrl(p.homepage)) c['externalReferences'] = [{ type: 'website', url: p.homepage }];
    const props = [{ name: 'golden:deb:architecture', value: p.architecture }];
    if (p.source !== p.name || p.sourceVersion !== p.version) props.push({ name: 'golden:deb:source', value: `${p.source} (${p.sourceVersion})` });
    c['properties'] = props;
    return c;
  });
  const subject = `golden-image:${meta.name}@${meta.version}`;
  const serial = uuidFrom(`${subject}\n${meta.timestamp}\n${components.map((c) => c['bom-ref']).join('\n')}`);
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${serial}`,
    version: 1,
    metadata: {
      timestamp: meta.timestamp,
      tools: { components: [{ type: 'application', name: 'golden', version: meta.goldenVersion }] },
      component: { type: 'operating-system', 'bom-ref': subject, name: meta.name, version: meta.version },
    },
    components,
    dependencies: [{ ref: subject, dependsOn: components.map((c) => c['bom-ref'] as string) }],
  };
}
