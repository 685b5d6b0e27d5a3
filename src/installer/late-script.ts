// The POSIX sh run at the end of debian-installer (preseed/late_command) and subiquity (late-commands)
// inside the installed system: the same company sources, upgrade policy and hostname pattern as Golden's
// own installer. It travels base64-encoded, so no quoting layer of the two installers can mangle it.
import type { GoldenConfig } from '../config/schema.js';
import { companySources, unattendedPolicyFiles } from './apt-policy.js';

/** A hostname with the placeholders removed, for the installers' own hostname question. */
export function staticHostname(pattern: string): string {
  const h = pattern
    .replace(/\{(serial|mac|random)\}/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 63);
  return h || 'localhost';
}

function heredoc(path: string, content: string): string[] {
  let tag = 'GOLDEN_EOF';
  while (content.includes(tag)) tag += '_';
  return [`mkdir -p '${path.replace(/\/[^/]*$/, '')}'`, `cat > '${path}' <<'${tag}'`, content.replace(/\n$/, ''), tag];
}

export function lateScript(config: GoldenConfig, hostnamePattern: string): string {
  const lines = ['#!/bin/sh', '# Written by Golden: company apt sources, upgrade policy, hostname', 'set -eu'];
  // curtin also writes its apt.sources as NAME.list: one definition per archive, or apt warns of duplicates
  for (const s of companySources(config)) lines.push(...heredoc(s.path, s.content), `rm -f '/etc/apt/sources.list.d/golden-${s.name}.list'`);
  for (const p of unattendedPolicyFiles(config)) lines.push(...heredoc(p.path, p.content));
  if (!config.installer?.keepCdromSources) {
    lines.push('rm -f /etc/apt/sources.list.d/cdrom.sources', "if [ -f /etc/apt/sources.list ]; then sed -i '/^deb cdrom:/d' /etc/apt/sources.list; fi");
  }
  if (/\{(serial|mac|random)\}/.test(hostnamePattern)) {
    lines.push(
      "r=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \\n')",
      "s=$( (tr -dc 'A-Za-z0-9-' </sys/class/dmi/id/product_serial | tr '[:upper:]' '[:lower:]') 2>/dev/null || true)",
      'case "$s" in ""|0|none|notspecified|tobefilledbyoem|systemserialnumber|defaultstring|chassisserialnumber) s=$r ;; esac',
      "m=$(cat /sys/class/net/e*/address 2>/dev/null | head -n 1 | tr -d ':' || true)",
      '[ -n "$m" ] || m=$r',
      `h=$(printf '%s' '${hostnamePattern.replace(/'/g, '')}' | sed -e "s/{serial}/$s/g" -e "s/{mac}/$m/g" -e "s/{random}/$r/g" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9-' '-' | cut -c1-63)`,
      'echo "$h" > /etc/hostname',
      'sed -i "s/^127\\.0\\.1\\.1.*/127.0.1.1\\t$h/" /etc/hosts',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The one-line command that runs the late script: `sh -c "echo BASE64 | base64 -d | sh"`. */
export function lateCommand(config: GoldenConfig, hostnamePattern: string): string {
  const b64 = Buffer.from(lateScript(config, hostnamePattern)).toString('base64');
  return `sh -c "echo ${b64} | base64 -d | sh"`;
}
