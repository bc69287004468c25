'use strict';
// The service stubs, loaded at runtime from flowgrid's .proto files with
// @grpc/proto-loader. Options: camelCase field names (keepCase false), as in
// the protobuf JSON form of workflow files, so a workflow read from JSON is
// sent as it is; int64 as decimal strings (exact; messages.js converts);
// enums by name; oneofs reported in a `kind` field; unset fields with their
// defaults.

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

/** proto/ of the flowgrid source tree this package sits in (client/node). */
const DEFAULT_PROTO_DIR = path.resolve(__dirname, '..', '..', '..', 'proto');

const LOADER_OPTIONS = {
  keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
};

const cache = new Map();

/**
 * The flowgrid.v1 package from `protoDir`, loaded once per directory:
 * `v1` holds the service constructors; `lookup(fullName)` gives a top-level
 * message's or enum's descriptor (DescriptorProto or EnumDescriptorProto as
 * an object, camelCase field names).
 * @param {string} [protoDir]
 * @returns {{v1: object, lookup: (fullName: string) => object | undefined}}
 */
function loadFlowgridV1(protoDir = DEFAULT_PROTO_DIR) {
  if (!cache.has(protoDir)) {
    const definition = protoLoader.loadSync(
      ['flowgrid/v1/scheduler.proto', 'flowgrid/v1/cluster.proto'],
      { ...LOADER_OPTIONS, includeDirs: [protoDir] });
    cache.set(protoDir, {
      v1: grpc.loadPackageDefinition(definition).flowgrid.v1,
      lookup: (fullName) => definition[fullName]?.type,
    });
  }
  return cache.get(protoDir);
}

module.exports = { loadFlowgridV1, DEFAULT_PROTO_DIR };
