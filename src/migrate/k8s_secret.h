// How `arcana migrate` turns a Kubernetes Secret manifest into an External Secrets Operator
// `ExternalSecret`. A Secret is read by a strict reader of the YAML that Kubernetes tools
// write: block mappings; plain, single-quoted and double-quoted scalars on one line (every
// escape decoded); a plain value continued on the lines below its key; literal and folded
// block scalars (chomping and indentation indicators); comments; LF or CRLF line ends. A
// document it cannot read exactly (flow collections, anchors, tags, unknown fields, tabs in
// indentation, ...), or holding a secret outside data/stringData, is left as it is with a
// note saying why: a manifest corrupted quietly is worse than one migrated by hand.
// Thread-safety: pure functions.
#pragma once

#include <string_view>
#include <vector>

#include "migrate/rewrite.h"

namespace arcana::migrate {

// Plans `reps` (all in content) of a Kubernetes manifest. Each Secret document holding findings
// becomes one ExternalSecret (store "arcana", a ClusterSecretStore): the keys holding a
// finding are read from their secrets (stored whole: a data value base64-decoded), the others
// stay literal in spec.target.template.data, and the Secret's type, labels and annotations are
// carried to the Secret it makes (labels to the ExternalSecret too). Comments above the
// document are kept. Other documents are not touched; what is not edited gets a note and is
// not stored. Sets plan->new_content and appends to plan->items and plan->notes.
void PlanKubernetes(std::string_view content, const std::vector<Replacement>& reps,
                    FilePlan* plan);

}  // namespace arcana::migrate
