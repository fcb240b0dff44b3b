// How `arcana migrate` replaces a secret in a file with a reference to where it now lives in
// Arcana, per file format. Pure text transformations (no I/O, no network): a plan per file
// says which value to store under which name and what the file becomes.
//
// Formats and their reference forms:
//   CloudFormation (JSON/YAML with AWSTemplateFormatVersion or AWS:: resource types), .env,
//   .properties, docker-compose and other YAML configs: the value is replaced in place by the
//   dynamic reference `{{resolve:secretsmanager:NAME}}` (CloudFormation resolves it itself;
//   for the others the Arcana agent or a loader does). An unquoted YAML value gets quotes.
//   Kubernetes Secret manifests: the Secret document becomes an External Secrets Operator
//   `ExternalSecret` (AWS provider, a ClusterSecretStore named "arcana" pointed at Arcana)
//   whose data maps each migrated key to its secret; keys not migrated stay literal in
//   target.template.
//   Terraform: the quoted value becomes data.aws_secretsmanager_secret_version.<id>.secret_string
//   (interpolated when the secret is part of a longer string) and the data source is appended
//   once.
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
// goes into the printed snippets.
FilePlan PlanFile(std::string_view path, std::string_view content,
                  const std::vector<Replacement>& reps, const std::string& endpoint_url);

// The key a finding is assigned to on its line (`KEY=...`, `key: ...`, `"key": ...`,
// `key = ...`), or "" when the line has none.
std::string AssignmentKey(std::string_view content, size_t offset);

// A Secrets Manager name made from a template with {repo}, {path}, {key} and {rule}: characters
// the API refuses become '-', repeated '/' collapse, at most 512 characters.
std::string SecretName(const std::string& tmpl, const std::string& repo, const std::string& path,
                       const std::string& key, const std::string& rule);

}  // namespace arcana::migrate
