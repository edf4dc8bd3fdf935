// SPDX-License-Identifier: AGPL-3.0-or-later
/** How failed `rbd` runs are classified: stderr texts as Ceph 16.2.15's rbd tool prints them. */
import t from 'tap';
import { classify, errnoOf } from '../../translators/ceph/rbd/errors.js';

const LOG = '2026-11-24T12:50:34.570+0000 7f4d727fc6c0 -1 librbd::SnapshotUnprotectRequest: ';

t.test('kinds from real stderr', async (t) => {
  const cases: [string, number, string][] = [
    ['rbd: error opening image nope: (2) No such file or directory\n', 2, 'NotFound'],
    ['2026-11-24T12:50:33.202+0000 7f85b5cd5380 -1 librbd: rbd image t1 already exists\n\nrbd: create error: (17) File exists\n', 17, 'Exists'],
    [`${LOG}cannot unprotect: at least 1 child(ren) [1056b523c063] in pool 'rbd'\n\n${LOG}encountered error: (16) Device or resource busy\nrbd: unprotecting snap failed: (16) Device or resource busy\n`, 16, 'HasChildren'],
    ["Removing snap: 0% complete...failed.\nrbd: snapshot 's1' is protected from removal.\n", 16, 'Protected'],
    ["Removing image: 0% complete...failed.\nrbd: image has snapshots - these must be deleted with 'rbd snap purge' before the image can be removed.\n", 39, 'HasSnapshots'],
    ['rbd: error: image still has watchers\nThis means the image is still open or the client using it crashed.\n', 16, 'Busy'],
    ['rbd: shrinking an image is only allowed with the --allow-shrink flag\n', 22, 'Invalid'],
    ['global_init: unable to open config file from search list /nonexistent/ceph.conf\n', 1, 'Unavailable'],
    ['rbd: couldn\'t connect to the cluster!\n', 110, 'Unavailable'],
    ['rbd: something odd\n', 1, 'Failed'],
  ];
  for (const [stderr, code, kind] of cases) {
    const e = classify(stderr, code, 'x');
    t.equal(e.kind, kind, `${kind}: ${stderr.trim().split('\n').pop()}`);
    t.equal(e.name, 'RbdError');
  }
  const e = classify(`${LOG}encountered error: (16) Device or resource busy\nrbd: unprotecting snap failed: (16) Device or resource busy\n`, 16, 'snap unprotect rbd/a@s');
  t.equal(e.message, 'rbd snap unprotect rbd/a@s: rbd: unprotecting snap failed: (16) Device or resource busy', "the tool's own line, not librbd's log");
  t.equal(e.errno, 16);
});

t.test('errno from stderr first, else the exit status', async (t) => {
  t.equal(errnoOf('rbd: delete error: (2) No such file or directory', 1), 2);
  t.equal(errnoOf('no number here', 39), 39);
  t.equal(errnoOf('no number here', 1), undefined, 'exit status 1 says nothing');
  t.equal(errnoOf('at least 1 child(ren) [abc]', null), undefined);
});
