"""admin: the instance's sample (demonstration) data, counted and cleared in one action
across the services that hold some (common.sample); the audit log."""
from common import sample
from gateway import audit
from gateway.routing import ADMIN, route


def _each_service(ctx, method):
    return {name: ctx.rpc(name, method) for name in sample.SERVICES}


@route("GET", "/admin/sample-data", ADMIN, tag="admin",
       summary="Sample records left in each service (they count in no figure)")
def count_sample_data(ctx):
    services = _each_service(ctx, "count_sample_data")
    return {"present": any(any(counts.values()) for counts in services.values()),
            "services": services}


@route("POST", "/admin/sample-data/clear", ADMIN, body=sample.ClearRequest, tag="admin",
       summary="Delete every sample record of the instance (confirm: 清除示例数据); the "
               "station's rooms and every real record stay")
def clear_sample_data(ctx):
    services = _each_service(ctx, "clear_sample_data")
    ctx.audit("clear_sample_data", f"community:{ctx.community_id}")
    return {"cleared": True, "services": services}


@route("GET", "/audit-log", ADMIN, query=audit.AuditQuery, response=audit.AuditPage,
       tag="admin", summary="The audit log (审计日志), newest first: who revealed which "
                            "personal data or changed a user, when")
def list_audit_log(ctx):
    with ctx.session() as session:
        return audit.list_entries(session, ctx.query)
