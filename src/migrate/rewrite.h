// How `arcana migrate` replaces a secret in a file with a reference to where it now lives in
// Arcana, per file format. Pure text transformations (no I/O, no network): a plan per file
// says which value to store under which name and what the file becomes.
//
// Formats and their reference forms:
//   CloudFormation (JSON/YAML with AWSTemplateFormatVersion or AWS:: resource types), .env,
//   .properties, docker-compose and other YAML configs: the value is replaced in place by the
//   dynamic reference `{{resolve:secretsmanager:NAME}}` (CloudFormation resolves it itself;
//   for the others the Arcana agent or a loader does). In YAML, a plain scalar holding a
//   secret becomes one single-quoted scalar, a flow item a quoted item; a line of a block
//   scalar is literal text. A value is stored as the format reads it (JSON escapes, a .env
//   double-quoted value's escapes, .properties escapes and continuations), and rewritten only
//   when the finding is all of it (a token or URL password may be part of a longer value).
//   Kubernetes Secret manifests: the Secret document becomes an External Secrets Operator
//   `ExternalSecret` (k8s_secret.h).
//   Terraform: the quoted value becomes data.aws_secretsmanager_secret_version.<id>.secret_string
//   (interpolated when the secret is part of a longer string) and the data source is appended
//   once per module (the directory's .tf files), its id unique per name. A `variable` or `terraform` block takes literals only: left.
//   What a planner cannot rewrite exactly (a YAML value continued on the next line, under a
//   tag or anchor, ...) is left as it is with a note and not stored; a secret used as a key
//   is stored but not rewritten (SecretIsKey).
//   Source code: not edited; the plan carries snippets (boto3, JS SDK v3, aws CLI, agent URL)
//   to print instead.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scan/finding.h"

namespace arcana::migrate {

enum class FileKind { kCloudFormation, kKubernetes, kTerraform, kEnv, kCompose, kYaml, kCode };

FileKind DetectKind(std::string_view path, std::string_view content);
const char* KindName(FileKind kind);

// One finding to migrate: the finding (offset and secret refer to `content`) and the name its
// value is stored under.
struct Replacement {
  const scan::Finding* finding = nullptr;
  std::string name;
};

// One secret to store: its name and the value (for Kubernetes, the whole literal of the key,
// decoded from base64 for `data:`; otherwise the finding's secret).
struct StoreItem {
  std::string name;
  std::string value;
  const scan::Finding* finding = nullptr;
};

struct FilePlan {
  FileKind kind = FileKind::kCode;
  std::string new_content;           // == content when not edited
  std::vector<StoreItem> items;
  std::vector<std::string> notes;    // printed; never contain a value
};

// Plans the migration of `reps` (all in this file, any order) out of `content`. endpoint_url
// goes into the printed snippets. module_text (Terraform): the other .tf files of the file's
// directory, whose data sources the module already has (none is declared twice).
FilePlan PlanFile(std::string_view path, std::string_view content,
                  const std::vector<Replacement>& reps, const std::string& endpoint_url,
                  std::string_view module_text = {});

// The key a finding is assigned to on its line (`KEY=...`, `key: ...`, `"key": ...`,
// `key = ...`), or "" when the line has none. *begin (when given) is the key's offset in content.
std::string AssignmentKey(std::string_view content, size_t offset, size_t* begin = nullptr);

// Whether the secret at [offset, offset + size) is (part of) a mapping key rather than a value
// (`sk_live_...: billing`, `"glpat-...": "ci"`, `glpat-... = x`). Such a secret is stored but
// never rewritten: a reference in place of a key is no key, and a re-run nested references in
// it. PlanFile leaves it with a note.
bool SecretIsKey(std::string_view content, size_t offset, size_t size);

// A Secrets Manager name made from a template with {repo}, {path}, {key} and {rule}: characters
// the API refuses become '-', repeated '/' collapse, at most 512 characters.
std::string SecretName(const std::string& tmpl, const std::string& repo, const std::string& path,
                       const std::string& key, const std::string& rule);

// The n-th variant (n >= 2) of a name already taken by another value: "-n" on the end, within
// the 512 characters (a suffix on the key was cut off again by the limit when the template
// put the key past it: names differing only there looped forever).
std::string NumberedName(const std::string& name, size_t n);

}  // namespace arcana::migrate
