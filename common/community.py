"""The community a deployment serves, as people name it: config/communities/<id>.yaml
(name, district, project, compounds with their Chinese names). A printed document uses
it; a community without a file is shown by its id."""
from functools import lru_cache

import yaml

from common.config import CONFIG_DIR


@lru_cache(maxsize=8)
def profile(community_id):
    """{"community_id", "name", "district", "project", "compounds": {code: name}}."""
    path = CONFIG_DIR / "communities" / f"{community_id}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        data = {}
    return {"community_id": community_id, "name": data.get("name") or community_id or "",
            "district": data.get("district") or "", "project": data.get("project") or "",
            "compounds": {c["code"]: c["name"] for c in data.get("compounds") or []}}


def compound_name(community_id, code):
    if not code:
        return ""
    return profile(community_id)["compounds"].get(code, code)
