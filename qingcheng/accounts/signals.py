"""Hard guards that run whatever code path changes groups or permissions."""

from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_migrate, post_save, pre_save
from django.dispatch import receiver

from .guards import AuxiliaryEnforcementError, check_user_may_hold, enforcement_permission_ids
from .models import User
from .roles import AUXILIARY


@receiver(m2m_changed, sender=User.user_permissions.through)
def guard_user_permissions(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "pre_add" or not pk_set:
        return
    if reverse:
        # permission.user_set.add(users...)
        if instance.pk in enforcement_permission_ids():
            for user in User.objects.filter(pk__in=pk_set):
                if user.is_auxiliary:
                    raise AuxiliaryEnforcementError(user.username)
        return
    check_user_may_hold(
        staff_category=instance.staff_category,
        group_ids=instance.groups.values_list("pk", flat=True),
        permission_ids=pk_set,
        who=instance.username,
    )


@receiver(m2m_changed, sender=User.groups.through)
def guard_user_groups(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "pre_add" or not pk_set:
        return
    if reverse:
        # group.user_set.add(users...): instance is the group
        for user in User.objects.filter(pk__in=pk_set):
            check_user_may_hold(
                staff_category=user.staff_category,
                group_ids=[*user.groups.values_list("pk", flat=True), instance.pk],
                permission_ids=user.user_permissions.values_list("pk", flat=True),
                who=user.username,
            )
        return
    check_user_may_hold(
        staff_category=instance.staff_category,
        group_ids=[*instance.groups.values_list("pk", flat=True), *pk_set],
        permission_ids=instance.user_permissions.values_list("pk", flat=True),
        who=instance.username,
    )


@receiver(m2m_changed, sender=Group.permissions.through)
def guard_group_permissions(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "pre_add" or not pk_set:
        return
    enforcement_ids = enforcement_permission_ids()
    groups = Group.objects.filter(pk__in=pk_set) if reverse else [instance]
    if reverse and instance.pk not in enforcement_ids:
        return
    if not reverse and not (set(pk_set) & enforcement_ids):
        return
    for group in groups:
        if group.name == AUXILIARY.group_name:
            raise AuxiliaryEnforcementError()
        for user in group.user_set.all():
            if user.is_auxiliary:
                raise AuxiliaryEnforcementError(user.username)


@receiver(pre_save, sender=User)
def guard_staff_category(sender, instance, **kwargs):
    if instance.staff_category == User.StaffCategory.AUXILIARY and instance.is_superuser:
        raise AuxiliaryEnforcementError(instance.username)
    if instance.pk and instance.staff_category == User.StaffCategory.AUXILIARY:
        check_user_may_hold(
            staff_category=instance.staff_category,
            group_ids=instance.groups.values_list("pk", flat=True),
            permission_ids=instance.user_permissions.values_list("pk", flat=True),
            who=instance.username,
        )


@receiver(post_migrate)
def sync_roles_after_migrate(sender, **kwargs):
    # Runs after each app's migrations; roles naming permissions of apps not yet migrated are completed
    # by the later calls, so missing permissions are skipped here rather than treated as errors.
    from .services import roles_sync

    roles_sync(strict=False, using=kwargs.get("using", "default"))


@receiver(m2m_changed, sender=User.user_permissions.through)
@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=Group.permissions.through)
def forget_cached_permissions(sender, action, **kwargs):
    if action.startswith("post_"):
        from .backends import forget_permissions

        forget_permissions()


@receiver(post_save, sender=User)
@receiver(post_save, sender=Group)
def forget_cached_permissions_on_save(sender, **kwargs):
    from .backends import forget_permissions

    forget_permissions()
