"""The output-shape check every test runs under (response_shapes.py) does catch what it is for.

No server: crafted answers against the server's own models."""
import response_shapes as rs


def _shape(service, operation):
    shape, _ = rs._output_shape(service, operation)
    return shape


def test_json_answers_are_walked_member_by_member():
    shape = _shape("secretsmanager", "DescribeSecret")
    good = b'{"ARN":"arn:x","Name":"n","CreatedDate":1700000000.5,"RotationEnabled":false,' \
           b'"Tags":[{"Key":"k","Value":"v"}],"VersionIdsToStages":{"v1":["AWSCURRENT"]}}'
    assert rs.check(good, shape, "json", "DescribeSecret") == []
    bad = b'{"ARN":"arn:x","CreationDate":1,"CreatedDate":"2024-01-01T00:00:00Z",' \
          b'"RotationEnabled":"false","Tags":{"k":"v"},"VersionIdsToStages":{"v1":"AWSCURRENT"},' \
          b'"ReplicationStatus":[{"Region":"eu-west-1","Status":"Done"}]}'
    problems = rs.check(bad, shape, "json", "DescribeSecret")
    assert "DescribeSecret.CreationDate: member not in DescribeSecretResponse" in problems
    assert any(p.startswith("DescribeSecret.CreatedDate: string where the model has an "
                            "epoch-seconds timestamp") for p in problems)
    assert any(p.startswith("DescribeSecret.RotationEnabled: string where") for p in problems)
    assert any(p.startswith("DescribeSecret.Tags: object where the model has list") for p in problems)
    assert any(p.startswith("DescribeSecret.VersionIdsToStages['v1']: string where the model "
                            "has list") for p in problems)
    assert "DescribeSecret.ReplicationStatus[0].Status: 'Done' is not in enum StatusType" in problems
    assert len(problems) == 6


def test_rest_json_skips_header_members_and_payloads():
    shape = _shape("lambda", "GetFunctionConfiguration")
    assert rs.check(b'{"FunctionName":"f","Timeout":3,"MemorySize":128}', shape, "rest-json",
                    "GetFunctionConfiguration") == []
    assert rs.check(b'{"FunctionName":"f","Timeout":"3"}', shape, "rest-json",
                    "GetFunctionConfiguration") == [
        "GetFunctionConfiguration.Timeout: string where the model has integer Timeout"]
    invoke, _ = rs._output_shape("lambda", "Invoke")
    assert rs.check(b"not json at all", invoke, "rest-json", "Invoke") == []


def test_query_answers_are_walked_as_xml():
    shape = _shape("iam", "ListUsers")
    good = (b'<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            b'<ListUsersResult><IsTruncated>false</IsTruncated><Users><member>'
            b'<UserName>a</UserName><CreateDate>2024-01-01T00:00:00Z</CreateDate>'
            b'<PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType>'
            b'</PermissionsBoundary></member></Users></ListUsersResult>'
            b'<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListUsersResponse>')
    assert rs.check_query(good, shape, "ListUsers") == []
    bad = (b'<ListUsersResponse><ListUsersResult><IsTruncated>no</IsTruncated><Users><user>'
           b'</user><member><Name>a</Name><CreateDate>1700000000</CreateDate></member></Users>'
           b'</ListUsersResult></ListUsersResponse>')
    assert rs.check_query(bad, shape, "ListUsers") == [
        "ListUsers.IsTruncated: 'no' where the model has boolean booleanType",
        "ListUsers.Users[0]: <user> where list userListType has <member>",
        "ListUsers.Users[1].Name: member not in User",
        "ListUsers.Users[1].CreateDate: '1700000000' where the model has an ISO 8601 "
        "timestamp dateType",
    ]
    summary = _shape("iam", "GetAccountSummary")
    assert rs.check_query(
        b'<GetAccountSummaryResponse><GetAccountSummaryResult><SummaryMap><entry><key>Users'
        b'</key><value>x</value></entry></SummaryMap></GetAccountSummaryResult>'
        b'</GetAccountSummaryResponse>', summary, "GetAccountSummary") == [
        "GetAccountSummary.SummaryMap['Users']: 'x' where the model has integer summaryValueType"]


def test_declared_errors_carry_the_models_status():
    op = rs._operation("lambda", "GetFunction")
    assert rs.check_error(op, 404, "ResourceNotFoundException") == []
    assert rs.check_error(op, 400, "ResourceNotFoundException") == [
        "GetFunction: error ResourceNotFoundException answered with HTTP 400; the model says 404"]
    op = rs._operation("iam", "CreateUser")
    assert rs.check_error(op, 409, "EntityAlreadyExists") == []
    assert rs.check_error(op, 400, "EntityAlreadyExists") != []
    op = rs._operation("secretsmanager", "GetSecretValue")
    assert rs.check_error(op, 400, "ResourceNotFoundException") == []
    assert rs.check_error(op, 400, "InternalServiceError") != []  # a fault: 500
    assert rs.check_error(op, 400, "AccessDeniedException") == []  # undeclared: not judged
