// The partition table, written by sfdisk into the image FILE (sfdisk treats a regular file as a disk
// and needs no loop device). GPT gets its protective MBR and backup header at the end; identifiers come
// from the layout so rebuilds write the same bytes.
import { run } from '../../exec/run.js';
import { SECTOR, type DiskLayout } from './layout.js';

/** The sfdisk script for a layout (sfdisk(8) "input format"). */
export function sfdiskScript(layout: DiskLayout): string {
  const lines: string[] = [];
  if (layout.table === 'gpt') {
    lines.push('label: gpt', `label-id: ${layout.diskId.toUpperCase()}`);
  } else {
    lines.push('label: dos', `label-id: 0x${layout.diskId}`);
  }
  lines.push('unit: sectors', `sector-size: ${SECTOR}`, '');
  const active = layout.partitions.find((p) => p.type === 'boot') ?? layout.partitions.find((p) => p.type === 'root');
  for (const p of layout.partitions) {
    const fields = [`start=${p.offset / SECTOR}`, `size=${p.size / SECTOR}`];
    if (layout.table === 'gpt') {
      fields.push(`type=${p.gptType}`, `uuid=${p.partUuid.toUpperCase()}`, `name="${p.label.replace(/["\\]/g, '_')}"`);
      // "legacy BIOS bootable" lets BIOSes that look for it boot a GPT disk; harmless elsewhere
      if (p.type === 'root') fields.push('attrs="LegacyBIOSBootable"');
    } else {
      fields.push(`type=${(p.mbrType ?? 0x83).toString(16)}`);
      if (p === active) fields.push('bootable');
    }
    lines.push(fields.join(', '));
  }
  return `${lines.join('\n')}\n`;
}

export async function writePartitionTable(image: string, layout: DiskLayout): Promise<void> {
  await run('sfdisk', ['--no-reread', '--no-tell-kernel', '--quiet', '--wipe', 'never', image], {
    input: sfdiskScript(layout),
    purpose: 'write the partition table',
  });
}
