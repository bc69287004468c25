'use strict';
// @flowgrid/client: a Node.js client of the flowgrid scheduler.

const grpc = require('@grpc/grpc-js');
const { Client } = require('./client');
const { FlowgridError } = require('./errors');
const { toValue, fromValue, toValueMap, fromValueMap } = require('./values');

module.exports = {
  Client,
  FlowgridError,
  /** gRPC status codes, to compare with FlowgridError.code. */
  status: grpc.status,
  toValue,
  fromValue,
  toValueMap,
  fromValueMap,
};
