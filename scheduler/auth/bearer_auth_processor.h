// The gRPC side of API keys and worker tokens: an AuthMetadataProcessor
// that admits a call only when it carries one of `keys`, and records the
// key's name in the call's AuthContext under flowgrid.client_id
// (service::kClientIdProperty, read by ClientIdentity()).
//
// The key is read from `authorization: Bearer <key>` (scheme in any case)
// or, when accept_x_api_key, from `x-api-key: <key>`. Missing or unknown
// keys end the call with UNAUTHENTICATED saying which, and which header to
// send; the key itself is never in a message or log. The key's header is
// consumed: handlers never see it.
//
// grpc.health.v1.Health needs no key (Kubernetes probes and load balancers
// cannot send one; health reveals nothing else).
//
// gRPC runs processors only on TLS ports (InsecureServerCredentials cannot
// take one): server_auth.h refuses keys without TLS.
#ifndef FLOWGRID_SCHEDULER_AUTH_BEARER_AUTH_PROCESSOR_H_
#define FLOWGRID_SCHEDULER_AUTH_BEARER_AUTH_PROCESSOR_H_

#include "grpcpp/security/auth_metadata_processor.h"
#include "scheduler/auth/api_keys.h"

namespace flowgrid::auth {

class BearerAuthProcessor : public grpc::AuthMetadataProcessor {
 public:
  // `keys` must outlive the processor (and so the server using it).
  BearerAuthProcessor(const ApiKeys* keys, bool accept_x_api_key)
      : keys_(keys), accept_x_api_key_(accept_x_api_key) {}

  // Cheap (a hash and a table scan): run inline on gRPC's thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  const ApiKeys* const keys_;
  const bool accept_x_api_key_;
};

}  // namespace flowgrid::auth

#endif  // FLOWGRID_SCHEDULER_AUTH_BEARER_AUTH_PROCESSOR_H_
