"""Expands a SAM template offline, the way `sam validate` and `sam deploy` do, for the tests.

Usage: python infra/sam-expand.py TEMPLATE  (with the SAM CLI's python: scripts/aws-tools.sh)

Prints one JSON object: {"template": the template as written, with intrinsic functions in
their JSON form ({"Ref": ...}), "expanded": the CloudFormation template SAM turns it into}.
Like `sam validate`, it stands a dummy S3 location in for each local CodeUri and resolves no
AWS-managed policy names (the template uses policy templates, which need none).
"""

import copy
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    def load(self):
        return {}


def main(path):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(path, encoding="utf-8") as source:
        template = yaml_parse(source.read())
    written = copy.deepcopy(template)
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = "s3://bucket/code.zip"
    expanded = transform(template, {}, NoManagedPolicies())
    json.dump({"template": written, "expanded": expanded}, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
