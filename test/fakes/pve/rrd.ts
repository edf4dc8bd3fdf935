// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * `GET /nodes/{node}/qemu/{vmid}/rrddata {timeframe, cf}` (qemu-server PVE/API2/Qemu.pm
 * `rrddata`, pve-cluster PVE::RRD::create_rrd_data): 70 points at the RRD step of the timeframe
 * (hour 60 s, day 30 min, week 3 h, month 12 h, year 1 week), each {time, cpu, maxcpu, mem, maxmem,
 * disk, maxdisk, netin, netout, diskread, diskwrite} with rates in bytes/s; a step in which the VM
 * did not run has only `time` (RRD's unknown values are left out). The values are those of the
 * load set through the control API while the VM ran: nothing is invented.
 */
import type { FakePve } from './core.js';
import type { Route } from './router.js';
import { NODE, VMID, opt } from './schema.js';
import { cpuCount, memoryMiB, type VmLoad } from './state.js';
import { bootDiskSize } from './qemu-status.js';

const STEPS: Record<string, number> = { hour: 60, day: 1800, week: 10800, month: 43200, year: 604800 };
const POINTS = 70;
const RATES: (keyof VmLoad)[] = ['cpu', 'netin', 'netout', 'diskread', 'diskwrite', 'mem'];

export function rrdRoutes(fake: FakePve): Route[] {
  return [
    {
      method: 'GET',
      path: '/nodes/{node}/qemu/{vmid}/rrddata',
      props: { node: NODE, vmid: VMID, timeframe: { type: 'string', enum: Object.keys(STEPS) }, cf: opt({ type: 'string', enum: ['AVERAGE', 'MAX'] }) },
      perm: (ctx) => fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Audit'),
      handler: (ctx) => {
        const vm = fake.vmOn(String(ctx.params.node), ctx.params.vmid as number);
        const step = STEPS[String(ctx.params.timeframe)]!;
        const max = ctx.params.cf === 'MAX';
        const now = Date.now() / 1000;
        const last = Math.floor(now / step) * step;
        const out: Record<string, number>[] = [];
        for (let i = POINTS - 1; i >= 0; i--) {
          const t0 = last - i * step;
          const t1 = t0 + step;
          let covered = 0;
          const acc: Record<string, number> = {};
          for (const r of vm.runs) {
            const a = Math.max(t0, r.start / 1000);
            const b = Math.min(t1, (r.end ?? Date.now()) / 1000);
            if (b <= a) continue;
            covered += b - a;
            for (const k of RATES) {
              const v = r.load[k] ?? 0;
              acc[k] = max ? Math.max(acc[k] ?? 0, v) : (acc[k] ?? 0) + v * (b - a);
            }
          }
          if (covered <= 0) {
            out.push({ time: t0 });
            continue;
          }
          const val = (k: string) => (max ? (acc[k] ?? 0) : (acc[k] ?? 0) / covered);
          out.push({
            time: t0,
            cpu: val('cpu'),
            maxcpu: cpuCount(vm.conf),
            mem: val('mem'),
            maxmem: memoryMiB(vm.conf) * 2 ** 20,
            disk: 0,
            maxdisk: bootDiskSize(fake, vm),
            netin: val('netin'),
            netout: val('netout'),
            diskread: val('diskread'),
            diskwrite: val('diskwrite'),
          });
        }
        return out;
      },
    },
  ];
}
