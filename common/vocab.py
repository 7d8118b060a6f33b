"""Code lists of DESIGN.md (Vocabularies) with their Chinese labels, served by the API.
Codes travel in data and events; labels are for people."""

TARGET_GROUPS = {
    "children": "儿童", "youth": "青少年", "women": "妇女", "families": "家庭",
    "elderly": "老年人", "disabled": "残疾人", "in_difficulty": "困境人群",
    "all_residents": "全体居民",
}
FIVE_SOCIETY = {
    "community": "社区", "social_org": "社会组织", "social_worker": "社工",
    "social_resource": "社会资源", "self_governance": "社区自治组织",
}
EVENT_KINDS = {
    "activity": "社区活动", "group": "小组", "lecture": "讲座", "festival": "节日活动",
    "joint_meeting": "联席会", "training": "志愿者培训", "home_visit": "入户探访",
}
RESOURCE_TYPES = {
    "venue": "场地", "material": "物资", "funding": "资金", "service": "服务",
    "skill": "技能", "team": "队伍",
}
NEED_CATEGORIES = {
    "care": "照料", "tutoring": "课业辅导", "health": "健康", "employment": "就业",
    "legal": "法律", "psychological": "心理", "material": "物资", "culture": "文化",
    "safety": "安全",
}
PLANS = {
    "resources": "资源融和", "system": "体系融和", "service": "服务融和", "culture": "文化融和",
}
ROLES = ("admin", "social_worker", "volunteer", "district_viewer")

VOCABULARIES = {
    "target_groups": TARGET_GROUPS, "five_society": FIVE_SOCIETY, "event_kinds": EVENT_KINDS,
    "resource_types": RESOURCE_TYPES, "need_categories": NEED_CATEGORIES, "plans": PLANS,
}


def labelled(vocabulary):
    return [{"code": code, "label": label} for code, label in vocabulary.items()]
