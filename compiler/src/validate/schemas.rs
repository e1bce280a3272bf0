//! The bundled schemas, embedded with `include_str!`: the Kubernetes built-in kinds Berth
//! emits for every supported version (`schemas/k8s/v1.<minor>/`) and the custom resources
//! it emits (`schemas/crds/`). Sources and checksums: `schemas/README.md`.

/// The schema file of a built-in kind, as kubeconform names it:
/// `<kind>[-<first label of the group>]-<version>`; `None` for a kind that is not built in.
pub fn k8s_file(api_version: &str, kind: &str) -> Option<String> {
    let (group, version) = match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    };
    if group.contains('.') && !group.ends_with(".k8s.io") {
        return None;
    }
    let group_label = group.split('.').next().unwrap_or_default();
    let kind = kind.to_ascii_lowercase();
    Some(if group_label.is_empty() { format!("{kind}-{version}") } else { format!("{kind}-{group_label}-{version}") })
}

/// One function per Kubernetes version: `file` to the embedded text of
/// `schemas/k8s/v1.<minor>/<file>.json`.
macro_rules! k8s_version {
    ($name:ident, $minor:literal, [$($file:literal),*]) => {
        fn $name(file: &str) -> Option<&'static str> {
            match file {
                $($file => Some(include_str!(concat!("../../../schemas/k8s/v1.", $minor, "/", $file, ".json"))),)*
                _ => None,
            }
        }
    };
}

/// Generates [`k8s`] over every supported version and every bundled kind.
macro_rules! k8s_table {
    ([$($minor:literal => $name:ident),*], $files:tt) => {
        $(k8s_version!($name, $minor, $files);)*

        /// The embedded schema `schemas/k8s/v1.<minor>/<file>.json`, if bundled.
        pub fn k8s(minor: &str, file: &str) -> Option<&'static str> {
            match minor {
                $($minor => $name(file),)*
                _ => None,
            }
        }
    };
}

k8s_table!(
    ["30" => v1_30, "31" => v1_31, "32" => v1_32, "33" => v1_33, "34" => v1_34, "35" => v1_35, "36" => v1_36, "37" => v1_37],
    [
        "namespace-v1",
        "resourcequota-v1",
        "limitrange-v1",
        "rolebinding-rbac-v1",
        "serviceaccount-v1",
        "deployment-apps-v1",
        "cronjob-batch-v1",
        "service-v1",
        "configmap-v1",
        "horizontalpodautoscaler-autoscaling-v2",
        "poddisruptionbudget-policy-v1",
        "ingress-networking-v1",
        "networkpolicy-networking-v1",
        "statefulset-apps-v1"
    ]
);

/// `(apiVersion, kind, file under schemas/crds/)` for every bundled custom resource:
/// the ones Berth's emitters and the stdlib's backing-service realisations produce.
macro_rules! crd_table {
    ($(($api:literal, $kind:literal, $file:literal)),* $(,)?) => {
        /// The embedded CRD schema of a custom resource (`schemas/crds/<group>/<kind>_<version>.json`).
        pub fn crd(api_version: &str, kind: &str) -> Option<&'static str> {
            match (api_version, kind) {
                $(($api, $kind) => Some(include_str!(concat!("../../../schemas/crds/", $file))),)*
                _ => None,
            }
        }

        /// Every bundled custom resource as `(apiVersion, kind)`.
        pub fn crd_kinds() -> &'static [(&'static str, &'static str)] {
            &[$(($api, $kind)),*]
        }
    };
}

crd_table!(
    ("external-secrets.io/v1", "ExternalSecret", "external-secrets.io/externalsecret_v1.json"),
    ("cilium.io/v2", "CiliumNetworkPolicy", "cilium.io/ciliumnetworkpolicy_v2.json"),
    ("route.openshift.io/v1", "Route", "route.openshift.io/route_v1.json"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute", "gateway.networking.k8s.io/httproute_v1.json"),
    ("postgresql.cnpg.io/v1", "Cluster", "postgresql.cnpg.io/cluster_v1.json"),
    ("rds.services.k8s.aws/v1alpha1", "DBInstance", "rds.services.k8s.aws/dbinstance_v1alpha1.json"),
    ("sql.cnrm.cloud.google.com/v1beta1", "SQLInstance", "sql.cnrm.cloud.google.com/sqlinstance_v1beta1.json"),
    ("sql.cnrm.cloud.google.com/v1beta1", "SQLDatabase", "sql.cnrm.cloud.google.com/sqldatabase_v1beta1.json"),
    ("sql.cnrm.cloud.google.com/v1beta1", "SQLUser", "sql.cnrm.cloud.google.com/sqluser_v1beta1.json"),
    (
        "dbforpostgresql.azure.com/v1api20240801",
        "FlexibleServer",
        "dbforpostgresql.azure.com/flexibleserver_v1api20240801.json"
    ),
    (
        "elasticache.services.k8s.aws/v1alpha1",
        "ReplicationGroup",
        "elasticache.services.k8s.aws/replicationgroup_v1alpha1.json"
    ),
    ("redis.cnrm.cloud.google.com/v1beta1", "RedisInstance", "redis.cnrm.cloud.google.com/redisinstance_v1beta1.json"),
    ("kafka.strimzi.io/v1", "Kafka", "kafka.strimzi.io/kafka_v1.json"),
    ("kafka.strimzi.io/v1", "KafkaNodePool", "kafka.strimzi.io/kafkanodepool_v1.json"),
    ("kafka.strimzi.io/v1", "KafkaTopic", "kafka.strimzi.io/kafkatopic_v1.json"),
    ("kafka.strimzi.io/v1", "KafkaUser", "kafka.strimzi.io/kafkauser_v1.json"),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster", "rabbitmq.com/rabbitmqcluster_v1beta1.json"),
    ("s3.services.k8s.aws/v1alpha1", "Bucket", "s3.services.k8s.aws/bucket_v1alpha1.json"),
    (
        "storage.cnrm.cloud.google.com/v1beta1",
        "StorageBucket",
        "storage.cnrm.cloud.google.com/storagebucket_v1beta1.json"
    ),
    ("storage.azure.com/v1api20230101", "StorageAccount", "storage.azure.com/storageaccount_v1api20230101.json"),
    ("cache.azure.com/v1api20230701", "RedisEnterprise", "cache.azure.com/redisenterprise_v1api20230701.json"),
    (
        "cache.azure.com/v1api20230701",
        "RedisEnterpriseDatabase",
        "cache.azure.com/redisenterprisedatabase_v1api20230701.json"
    ),
    ("kafka.services.k8s.aws/v1alpha1", "Cluster", "kafka.services.k8s.aws/cluster_v1alpha1.json"),
    (
        "managedkafka.cnrm.cloud.google.com/v1beta1",
        "ManagedKafkaCluster",
        "managedkafka.cnrm.cloud.google.com/managedkafkacluster_v1beta1.json"
    ),
    (
        "managedkafka.cnrm.cloud.google.com/v1beta1",
        "ManagedKafkaTopic",
        "managedkafka.cnrm.cloud.google.com/managedkafkatopic_v1beta1.json"
    ),
    ("eventhub.azure.com/v1api20240101", "Namespace", "eventhub.azure.com/namespace_v1api20240101.json"),
    ("mq.services.k8s.aws/v1alpha1", "Broker", "mq.services.k8s.aws/broker_v1alpha1.json"),
    ("documentdb.services.k8s.aws/v1alpha1", "DBCluster", "documentdb.services.k8s.aws/dbcluster_v1alpha1.json"),
    ("documentdb.services.k8s.aws/v1alpha1", "DBInstance", "documentdb.services.k8s.aws/dbinstance_v1alpha1.json"),
    ("atlas.mongodb.com/v1", "AtlasDeployment", "atlas.mongodb.com/atlasdeployment_v1.json"),
    (
        "documentdb.azure.com/v1api20240815",
        "DatabaseAccount",
        "documentdb.azure.com/databaseaccount_v1api20240815.json"
    ),
    (
        "documentdb.azure.com/v1api20240815",
        "MongodbDatabase",
        "documentdb.azure.com/mongodbdatabase_v1api20240815.json"
    ),
    ("dbformysql.azure.com/v1api20231230", "FlexibleServer", "dbformysql.azure.com/flexibleserver_v1api20231230.json"),
    (
        "dbformysql.azure.com/v1api20231230",
        "FlexibleServersDatabase",
        "dbformysql.azure.com/flexibleserversdatabase_v1api20231230.json"
    ),
);
