// AWS managed policies (arn:aws:iam::aws:policy/NAME, or .../policy/PATH/NAME for one whose
// Path is not "/", e.g. service-role/AWSLambdaBasicExecutionRole): the few whose current
// default version Arcana holds verbatim, as AWS publishes them in the AWS Managed Policy Reference
// (docs.aws.amazon.com/aws-managed-policy/latest/reference/NAME.html) or answers them to
// GetPolicyVersion (recorded answers; the long documents, e.g. ReadOnlyAccess's ~91,000
// characters, are generated into aws_managed_policy_documents.inc). Every account sees the
// same ones; they are never stored, and no account can change them. A policy of the account
// "aws" that is not in this catalog does not exist here (NoSuchEntity), rather than be guessed.
// Thread-safety: immutable after first use.
#pragma once

#include <string>
#include <vector>

#include "domain/iam/identity.h"

namespace arcana::domain::iam {

// True for an ARN of the account "aws"'s policies ("arn:aws:iam::aws:policy/...").
bool IsAwsManagedPolicyArn(const std::string& arn);

// The catalog's policy of that ARN (account "aws", its default version only, no attachment
// counts: those are the caller's account's), or nullptr when Arcana does not hold it.
const ManagedPolicy* FindAwsManagedPolicy(const std::string& arn);

// Every policy of the catalog, in name order.
const std::vector<ManagedPolicy>& AwsManagedPolicies();

}  // namespace arcana::domain::iam
