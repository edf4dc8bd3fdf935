#!/usr/bin/env node
// SPDX-License-Identifier: AGPL-3.0-or-later
import '../dist/src/main.js';
