from django.contrib import admin

from training.models import Adapter, Dataset, TrainJob


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin[Dataset]):
    list_display = ("name", "format", "ranking", "rows", "tokens", "workspace", "created_at")
    list_filter = ("format", "workspace")
    search_fields = ("name",)


@admin.register(TrainJob)
class TrainJobAdmin(admin.ModelAdmin[TrainJob]):
    list_display = ("name", "stage", "status", "base_model", "workspace", "created_at")
    list_filter = ("status", "stage", "workspace")
    search_fields = ("name", "adapter_name")
    readonly_fields = ("progress", "curve", "eval", "process", "worker", "output_dir")


@admin.register(Adapter)
class AdapterAdmin(admin.ModelAdmin[Adapter]):
    list_display = ("name", "base_model", "stage", "workspace", "created_at")
    list_filter = ("workspace",)
    search_fields = ("name",)
